"""The sitemap index's index (cooperation/sitemaps.py): the published visits by section of
2,000 ids (sitemaps.SECTION_SIZE) and, within one, by last change. The sitemap index walks
it from section to section, one probe each, and reads each section's latest change as the
last entry of its part: a few hundred probes at a million visits, where grouping the
visits themselves read every published row (about 600 ms on PostgreSQL).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0020_event_index_years_months_directions"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="delegation",
            index=models.Index(
                models.F("id") / 2000,
                models.F("updated_at"),
                condition=models.Q(status="published"),
                name="delegation_sitemap_section",
            ),
        ),
    ]
