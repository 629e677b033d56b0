from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from federation import services
from federation.models import Partner


class Command(BaseCommand):
    help = _(
        "Compare case subjects with the partner registries that are due (private set intersection); "
        "--enqueue hands it to the background worker, which then repeats it on a schedule."
    )

    def add_arguments(self, parser):
        parser.add_argument("--partner", action="append", help=_("instance id of a partner (repeatable)"))
        parser.add_argument("--force", action="store_true", help=_("also partners waiting for their next retry"))
        parser.add_argument("--enqueue", action="store_true", help=_("queue it for the background worker"))

    def handle(self, *args, **options):
        if options["enqueue"]:
            from federation.tasks import run_federation_exchange

            run_federation_exchange.enqueue(True)
            self.stdout.write(_("Queued for the background worker."))
            return
        partner_ids = None
        if options["partner"]:
            partners = list(Partner.objects.filter(instance_id__in=options["partner"]))
            missing = sorted(set(options["partner"]) - {p.instance_id for p in partners})
            if missing:
                raise CommandError(_("Unknown partners: %(ids)s") % {"ids": ", ".join(missing)})
            partner_ids = [p.pk for p in partners]
        runs = services.run_scheduled(force=options["force"] or bool(partner_ids), partner_ids=partner_ids)
        failed = 0
        for run in runs:
            self.stdout.write(
                _(
                    "%(partner)s %(kind)s: %(status)s; ours %(ours)s, theirs %(theirs)s, "
                    "matches %(matches)s (+%(opened)s, -%(closed)s) %(error)s"
                )
                % {
                    "partner": run.partner.instance_id,
                    "kind": run.kind,
                    "status": run.status,
                    "ours": run.local_count,
                    "theirs": run.remote_count,
                    "matches": run.matches,
                    "opened": run.opened,
                    "closed": run.closed,
                    "error": run.error,
                }
            )
            failed += run.status != "completed"
        if failed:
            raise CommandError(
                _("%(failed)s of %(runs)s runs did not complete.") % {"failed": failed, "runs": len(runs)}
            )
