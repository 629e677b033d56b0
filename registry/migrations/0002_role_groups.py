"""The three role groups of docs/SPEC.md §1 exist in every database."""

from django.db import migrations

ROLE_GROUPS = ["admin-staff", "coordinator", "liaison-officer"]


def create_groups(apps, schema_editor):
    group = apps.get_model("auth", "Group")
    for name in ROLE_GROUPS:
        group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
