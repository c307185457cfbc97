"""Fill the database with a deterministic synthetic archive, for performance work.

    manage.py generate_records --delegations 100000 --seed 1

The archive has two parts: a *world* of reference records, made once (bench/synthetic/
world.py), and N delegations, ``visit-0000001`` onwards, each with 3-8 meetings, workshops
and site visits, its members and a citation (bench/synthetic/visits.py). The words and
names come from bench/synthetic/data/.

Deterministic: the world is drawn from ``random.Random(seed)`` and each delegation from its
own ``random.Random`` seeded with the seed and the delegation's number, and no value comes
from the clock. So the same N and seed give the same records whatever the batch size, and
``--append`` continues the very sequence a larger first run would have made.

Plausible in time: every record was entered, published and last changed before
drawing.AS_OF, a visit's record after the visit, and a publication before the last change.

Bulk writes run no model code (bench/synthetic/loading.py). What the site derives from
the records (each visit's search text, search vector and event-index rows) is then built
by cooperation/records/derived.py, the same definition the site's own writes use, and the
page cache's registry version is bumped after each batch.

The change history (cooperation/history/) is deliberately left without rows: the archive is
nobody's change to the records, and a historical row for each of millions of rows would
double the load. A generated record's history starts with its first edit.
"""

import random
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Max
from django.db.models.functions import Length

from bench.synthetic.loading import (
    COLUMNS,
    Ids,
    IndexesSetAside,
    Writes,
    check_columns,
    empty_batch,
)
from bench.synthetic.signings import sign_during_visits
from bench.synthetic.visits import VISIT_SLUG, add_delegation
from bench.synthetic.world import PREFIX, create_world, load_world
from cooperation import registry_version
from cooperation.models import Delegation, Organization
from cooperation.records import derived

VISIT_SLUG_PATTERN = r"^visit-[0-9]+$"


class Command(BaseCommand):
    help = (
        "Fill the database with a deterministic synthetic archive (a world of ~60 "
        "countries' offices, people, places, topics and programmes, and N delegations with "
        "their activities) for performance work. Local development only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--delegations", type=non_negative, required=True, help="How many delegations."
        )
        parser.add_argument(
            "--seed", type=non_negative, default=0, help="Same seed, same records (default 0)."
        )
        parser.add_argument(
            "--batch-size",
            type=positive,
            default=5000,
            help="Delegations per transaction (default 5000); does not change the records.",
        )
        parser.add_argument(
            "--append",
            action="store_true",
            help="Add to a database that already holds delegations, numbering on from the "
            "highest visit-NNNNNNN slug.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (not a dev site?)."
        )
        parser.add_argument(
            "--writers",
            type=non_negative,
            default=2,
            help="PostgreSQL: threads writing batches (each with its own connection) while "
            "the next batch is drawn; 0 writes in the main thread (default 2).",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args, **options):
        check_may_run(options)
        check_columns()
        started = time.monotonic()
        self.quiet = options["quiet"]
        counts = Counter()
        if not Organization.objects.filter(slug__startswith=PREFIX).exists():
            with transaction.atomic():
                counts.update(create_world(random.Random(options["seed"])))
            registry_version.bump()
        first = next_visit_number()
        last_id = Delegation.objects.aggregate(last=Max("pk"))["last"] or 0
        aside = IndexesSetAside.for_empty_tables()
        try:
            counts.update(self.write_delegations(load_world(), first, options))
            sign_during_visits(last_id, counts)
            # The rebuild reads the new rows through these tables' indexes; the visits'
            # own indexes are made after it has written the visits' derived columns.
            records = [model for model in COLUMNS if model is not Delegation]
            if aside.count(records):
                self.note(f"Building {aside.count(records)} indexes over the new rows…")
                aside.restore(records)
            self.note("Building the search text and event index of the new visits…")
            derived.rebuild_all(after=last_id, beside=True)
            if aside.count():
                self.note(f"Building {aside.count()} indexes of the visits' table…")
        finally:
            aside.restore()
        if options["verbosity"] > 0:
            self.summarize(counts, first, options, time.monotonic() - started)

    def write_delegations(self, world, first, options):
        """Draw the delegations numbered from `first` in batches and write each; return the
        rows written per model."""
        seed, total, batch_size = options["seed"], options["delegations"], options["batch_size"]
        ids = Ids(max(1, min(batch_size, total)))
        progress = Progress(self.stderr, total, enabled=not self.quiet)
        writes = Writes.start(options["writers"], progress.update)
        try:
            for start in range(first, first + total, batch_size):
                batch = empty_batch()
                for number in range(start, min(start + batch_size, first + total)):
                    add_delegation(batch, ids, number, random.Random((seed << 32) | number), world)
                writes.put(batch)
        finally:
            writes.close()
        progress.finish()
        return writes.counts

    def note(self, message):
        if not self.quiet:
            self.stderr.write(message)

    def summarize(self, counts, first, options, elapsed):
        total = options["delegations"]
        rows = sum(counts.values())
        numbers = f" ({VISIT_SLUG.format(first)} to {VISIT_SLUG.format(first + total - 1)})"
        self.stdout.write(
            f"Created {counts['Delegation']:,} delegations{numbers if total else ''} "
            f"and {rows:,} rows in all in {elapsed:.1f} s "
            f"({rows / max(elapsed, 1e-9):,.0f} rows/s)."
        )
        if options["verbosity"] > 1:
            for name, count in sorted(counts.items()):
                self.stdout.write(f"  {name}: {count:,}")


def check_may_run(options):
    if not settings.DEBUG and not options["force"]:
        raise CommandError(
            "Refusing to fill a database with synthetic records while DEBUG is off "
            "(is this a production site?); pass --force if you mean it."
        )
    if Delegation.objects.exists() and not options["append"]:
        raise CommandError(
            "The database already holds delegations; pass --append to add synthetic "
            "records after them, or start from an empty database."
        )


def non_negative(text):
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def positive(text):
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def next_visit_number():
    last = (
        Delegation.objects.filter(slug__regex=VISIT_SLUG_PATTERN)
        .order_by(Length("slug").desc(), "-slug")
        .values_list("slug", flat=True)
        .first()
    )
    return int(last.removeprefix("visit-")) + 1 if last else 1


class Progress:
    """A progress bar with an ETA on stderr: one line rewritten in place on a terminal, a
    line per tenth of the work otherwise (a log file)."""

    WIDTH = 30

    def __init__(self, stream, total, enabled=True):
        self.stream = stream
        self.total = total
        self.enabled = enabled and total > 0
        self.tty = self.enabled and stream.isatty()
        self.started = time.monotonic()
        self.next_tenth = 1
        self.done = 0

    def update(self, done):
        self.done = done
        if not self.enabled:
            return
        if self.tty:
            self.write("\r" + self.line() + "\x1b[K")
        elif done * 10 >= self.next_tenth * self.total:
            self.write(self.line() + "\n")
            self.next_tenth = done * 10 // self.total + 1

    def finish(self):
        if self.tty:
            self.write("\n")

    def line(self):
        elapsed = time.monotonic() - self.started
        share = self.done / self.total
        rate = self.done / elapsed if elapsed > 0 else 0
        eta = (self.total - self.done) / rate if rate else 0
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "." * (self.WIDTH - filled)
        return (
            f"[{bar}] {self.done:,}/{self.total:,} delegations {share:4.0%}  "
            f"{rate:,.0f}/s  elapsed {clock(elapsed)}  ETA {clock(eta)}"
        )

    def write(self, text):
        self.stream.write(text, style_func=str, ending="")
        self.stream.flush()


def clock(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
