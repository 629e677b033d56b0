"""Incremental flags: every write of an object a detector reads re-syncs the scope it can
affect, synchronously, in the writer's transaction. The scope includes the object's former
agency, functional area or case (read in pre_save), so a moved object closes its old flags.

Raw saves (loaddata) are skipped: run `detect_flags` after loading fixtures. Deleting a
whole agency, functional area, jurisdiction or case (rare) re-syncs the kinds it touches in
full, because the flags' links to it are gone by then.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from agencies.models import Agency, Contact, FunctionalArea, Jurisdiction, Mandate
from flags.models import FlagKind
from flags.services import request_sync
from registry.bulk import bulk_written

UID = "flags."


def _ids(*values) -> set[int]:
    return {value for value in values if value is not None}


def _old(instance, *names: str) -> dict:
    """The stored values of some fields before this save ({} for a new object)."""
    if instance.pk is None or instance._state.adding:
        return {}
    row = type(instance)._default_manager.filter(pk=instance.pk).values(*names).first()
    return row or {}


# --- mandates --------------------------------------------------------------------------


def mandate_pre_save(sender, instance, raw=False, **kwargs):
    if not raw:
        instance._flags_old = _old(instance, "agency_id", "function_id")


def mandate_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    old = getattr(instance, "_flags_old", {})
    request_sync(FlagKind.MANDATE_OVERLAP, _ids(instance.function_id, old.get("function_id")))
    request_sync(FlagKind.MISSING_CONTACT, _ids(instance.agency_id, old.get("agency_id")))


def mandates_bulk_written(sender, ids, **kwargs):
    """Mandates inserted in bulk (the border layer): their functions and agencies, once."""
    if sender is not Mandate:
        return
    ids, functions, agencies = list(ids), set(), set()
    for start in range(0, len(ids), 900):
        rows = Mandate.objects.filter(pk__in=ids[start : start + 900]).values_list("function_id", "agency_id")
        for function_id, agency_id in rows:
            functions.add(function_id)
            agencies.add(agency_id)
    request_sync(FlagKind.MANDATE_OVERLAP, functions)
    request_sync(FlagKind.MISSING_CONTACT, agencies)


def mandate_places_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        request_sync(FlagKind.MANDATE_OVERLAP, _ids(instance.function_id))
    elif pk_set is None:
        request_sync(FlagKind.MANDATE_OVERLAP, None)
    else:
        functions = Mandate.objects.filter(pk__in=pk_set).values_list("function_id", flat=True)
        request_sync(FlagKind.MANDATE_OVERLAP, set(functions))


# --- contacts --------------------------------------------------------------------------


def contact_pre_save(sender, instance, raw=False, **kwargs):
    if not raw:
        instance._flags_old = _old(instance, "agency_id")


def contact_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    agencies = _ids(instance.agency_id, getattr(instance, "_flags_old", {}).get("agency_id"))
    request_sync(FlagKind.MISSING_CONTACT, agencies)
    request_sync(FlagKind.STALE_CONTACT, agencies)


def contact_functions_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        request_sync(FlagKind.MISSING_CONTACT, _ids(instance.agency_id))
    elif pk_set is None:
        request_sync(FlagKind.MISSING_CONTACT, None)
    else:
        agencies = Contact.objects.filter(pk__in=pk_set).values_list("agency_id", flat=True)
        request_sync(FlagKind.MISSING_CONTACT, set(agencies))


# --- agencies, places, functional areas --------------------------------------------------


def agency_changed(sender, instance, raw=False, created=False, **kwargs):
    """Active, level, country and place in the hierarchy all matter to mandate overlaps."""
    if raw or created:
        return
    functions = Mandate.objects.filter(agency=instance).values_list("function_id", flat=True).distinct()
    request_sync(FlagKind.MANDATE_OVERLAP, set(functions))
    request_sync(FlagKind.MISSING_CONTACT, {instance.pk})


def agency_deleted(sender, instance, **kwargs):
    for kind in (FlagKind.MANDATE_OVERLAP, FlagKind.MISSING_CONTACT, FlagKind.STALE_CONTACT):
        request_sync(kind, None)


def jurisdiction_pre_save(sender, instance, raw=False, **kwargs):
    if not raw:
        instance._flags_old = _old(instance, "parent_id")


def jurisdiction_changed(sender, instance, raw=False, created=False, **kwargs):
    # A place moved in the tree changes containment, and so possibly any overlap.
    old = getattr(instance, "_flags_old", {})
    if not raw and not created and old.get("parent_id") != instance.parent_id:
        request_sync(FlagKind.MANDATE_OVERLAP, None)


def jurisdiction_deleted(sender, instance, **kwargs):
    request_sync(FlagKind.MANDATE_OVERLAP, None)


def function_deleted(sender, instance, **kwargs):
    request_sync(FlagKind.MANDATE_OVERLAP, None)
    request_sync(FlagKind.MISSING_CONTACT, None)


# --- cases -----------------------------------------------------------------------------


def case_changed(sender, instance, raw=False, **kwargs):
    """The lead agency addresses subject matches."""
    if not raw:
        request_sync(FlagKind.SUBJECT_MATCH, {instance.pk})


def case_deleted(sender, instance, **kwargs):
    request_sync(FlagKind.SUBJECT_MATCH, None)
    request_sync(FlagKind.DUPLICATE_ACTION, None)


def participant_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        request_sync(FlagKind.SUBJECT_MATCH, _ids(instance.case_id))


def case_child_pre_save(sender, instance, raw=False, **kwargs):
    if not raw:
        instance._flags_old = _old(instance, "case_id")


def subject_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        old = getattr(instance, "_flags_old", {})
        request_sync(FlagKind.SUBJECT_MATCH, _ids(instance.case_id, old.get("case_id")))


def action_item_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        old = getattr(instance, "_flags_old", {})
        request_sync(FlagKind.DUPLICATE_ACTION, _ids(instance.case_id, old.get("case_id")))


def connect() -> None:
    from cases.models import ActionItem, Case, CaseParticipant, CaseSubject

    pre_save.connect(mandate_pre_save, sender=Mandate, dispatch_uid=UID + "mandate_pre_save")
    post_save.connect(mandate_changed, sender=Mandate, dispatch_uid=UID + "mandate_saved")
    post_delete.connect(mandate_changed, sender=Mandate, dispatch_uid=UID + "mandate_deleted")
    bulk_written.connect(mandates_bulk_written, dispatch_uid=UID + "mandates_bulk_written")
    m2m_changed.connect(
        mandate_places_changed, sender=Mandate.jurisdictions.through, dispatch_uid=UID + "mandate_places"
    )

    pre_save.connect(contact_pre_save, sender=Contact, dispatch_uid=UID + "contact_pre_save")
    post_save.connect(contact_changed, sender=Contact, dispatch_uid=UID + "contact_saved")
    post_delete.connect(contact_changed, sender=Contact, dispatch_uid=UID + "contact_deleted")
    m2m_changed.connect(
        contact_functions_changed, sender=Contact.functions.through, dispatch_uid=UID + "contact_functions"
    )

    post_save.connect(agency_changed, sender=Agency, dispatch_uid=UID + "agency_saved")
    post_delete.connect(agency_deleted, sender=Agency, dispatch_uid=UID + "agency_deleted")
    pre_save.connect(jurisdiction_pre_save, sender=Jurisdiction, dispatch_uid=UID + "jurisdiction_pre_save")
    post_save.connect(jurisdiction_changed, sender=Jurisdiction, dispatch_uid=UID + "jurisdiction_saved")
    post_delete.connect(jurisdiction_deleted, sender=Jurisdiction, dispatch_uid=UID + "jurisdiction_deleted")
    post_delete.connect(function_deleted, sender=FunctionalArea, dispatch_uid=UID + "function_deleted")

    post_save.connect(case_changed, sender=Case, dispatch_uid=UID + "case_saved")
    post_delete.connect(case_deleted, sender=Case, dispatch_uid=UID + "case_deleted")
    post_save.connect(participant_changed, sender=CaseParticipant, dispatch_uid=UID + "participant_saved")
    post_delete.connect(participant_changed, sender=CaseParticipant, dispatch_uid=UID + "participant_deleted")
    pre_save.connect(case_child_pre_save, sender=CaseSubject, dispatch_uid=UID + "subject_pre_save")
    post_save.connect(subject_changed, sender=CaseSubject, dispatch_uid=UID + "subject_saved")
    post_delete.connect(subject_changed, sender=CaseSubject, dispatch_uid=UID + "subject_deleted")
    pre_save.connect(case_child_pre_save, sender=ActionItem, dispatch_uid=UID + "action_item_pre_save")
    post_save.connect(action_item_changed, sender=ActionItem, dispatch_uid=UID + "action_item_saved")
    post_delete.connect(action_item_changed, sender=ActionItem, dispatch_uid=UID + "action_item_deleted")
