from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from agencies.models import Agency
from federation.models import DEFAULT_KINDS, Partner


class Command(BaseCommand):
    help = _("Register a partner registry, or change one (by its instance id).")

    def add_arguments(self, parser):
        parser.add_argument("instance_id")
        parser.add_argument("--name")
        parser.add_argument("--url", help=_("its base URL"))
        parser.add_argument("--public-key")
        parser.add_argument("--next-public-key")
        parser.add_argument("--agencies", help=_("slugs of the agencies it speaks for, separated by commas"))
        parser.add_argument("--kinds", help=_("subject kinds compared, separated by commas (default: firearm,dealer)"))
        parser.add_argument("--pad-multiple", type=int)
        parser.add_argument("--max-set-size", type=int)
        parser.add_argument("--max-growth-per-run", type=int)
        parser.add_argument("--alert-growth", type=int)
        parser.add_argument("--max-runs-per-day", type=int)
        parser.add_argument("--disable", action="store_true")
        parser.add_argument("--enable", action="store_true")

    @transaction.atomic
    def handle(self, *args, **options):
        partner = Partner.objects.filter(instance_id=options["instance_id"]).first()
        created = partner is None
        if created:
            partner = Partner(instance_id=options["instance_id"], kinds=list(DEFAULT_KINDS))
        fields = {
            "name": "name",
            "url": "base_url",
            "public_key": "public_key",
            "next_public_key": "next_public_key",
            "pad_multiple": "pad_multiple",
            "max_set_size": "max_set_size",
            "max_growth_per_run": "max_growth_per_run",
            "alert_growth": "alert_growth",
            "max_runs_per_day": "max_runs_per_day",
        }
        for option, name in fields.items():
            if options[option] is not None:
                setattr(partner, name, options[option])
        if options["kinds"]:
            partner.kinds = [kind.strip() for kind in options["kinds"].split(",") if kind.strip()]
        if options["disable"]:
            partner.enabled = False
        if options["enable"]:
            partner.enabled = True
        try:
            partner.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
        partner.save()
        if options["agencies"] is not None:
            slugs = [slug.strip() for slug in options["agencies"].split(",") if slug.strip()]
            agencies = list(Agency.objects.filter(slug__in=slugs))
            missing = sorted(set(slugs) - {agency.slug for agency in agencies})
            if missing:
                raise CommandError(_("Unknown agencies: %(slugs)s") % {"slugs": ", ".join(missing)})
            partner.agencies.set(agencies)
        verb = _("Registered") if created else _("Updated")
        self.stdout.write(f"{verb}: {partner.name} ({partner.instance_id})")
