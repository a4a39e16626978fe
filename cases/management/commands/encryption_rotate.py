"""`manage.py encryption_rotate`: re-encrypt every identity field with the newest key and
recompute every identifier's keyed hash with the current hash key.

Rotation: put a new key in front of HOTLINE_ENCRYPTION_KEYS (old keys stay, to decrypt), run
this, then drop the old keys. For a new HOTLINE_HASH_KEY, set it and run this at once: until it
finishes, identifiers written before do not match those written after.
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from cases.models import Identifier
from hotline.crypto import encrypted_fields_of, keyed_hash

BATCH = 1000


class Command(BaseCommand):
    help = "Re-encrypt identity fields with the newest key and recompute identifier hashes."

    def handle(self, *args, **options):
        for model in apps.get_models():
            fields = [field.name for field in encrypted_fields_of(model)]
            if not fields:
                continue
            hashed = model is Identifier
            total = 0
            for start in range(0, model.objects.count(), BATCH):
                with transaction.atomic():
                    rows = list(model.objects.order_by("pk")[start : start + BATCH])
                    for row in rows:
                        if hashed:
                            row.value_hash = keyed_hash(row.normalised)
                    model.objects.bulk_update(rows, [*fields, "value_hash"] if hashed else fields)
                total += len(rows)
            self.stdout.write(f"{model._meta.label}: {total:,} rows re-encrypted")
