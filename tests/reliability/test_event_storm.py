"""An event storm: every Key Vault SecretNewVersionCreated event of many rotated secrets, duplicated and shuffled,
delivered in concurrent batches to two instances (failed batches redelivered, as Event Grid does). The end state
must equal that of a clean single in-order delivery to an identical twin group of credential sets, with the same
number of Azure writes: a duplicate or a late, older event costs nothing.

`make test`: 5 secrets, 100 events; `make soak`: 50 secrets, 1,000 events."""

from __future__ import annotations

import random

from tests.reliability.conftest import SOAK, Pair
from tests.reliability.world import deliver_all, make_rotation_group, rotation_end_state, rotation_events

SECRETS, EVENTS, VERSIONS = (50, 1000, 3) if SOAK else (5, 100, 3)
BATCH = 10


def test_a_storm_of_duplicated_reordered_events_ends_as_one_clean_delivery(fresh: Pair) -> None:
    clean = make_rotation_group(fresh, "clean", secrets=SECRETS, versions=VERSIONS)
    storm = make_rotation_group(fresh, "storm", secrets=SECRETS, versions=VERSIONS)

    deliver_all(fresh, [[e] for e in rotation_events(clean)], workers=1)  # once each, in order
    distinct = rotation_events(storm)
    shuffled = [random.Random(13).choice(distinct) for _ in range(EVENTS - len(distinct))] + distinct
    random.Random(7).shuffle(shuffled)
    deliver_all(fresh, [shuffled[i : i + BATCH] for i in range(0, len(shuffled), BATCH)], workers=4)

    clean_versions, clean_writes = rotation_end_state(fresh, "clean", secrets=SECRETS)
    storm_versions, storm_writes = rotation_end_state(fresh, "storm", secrets=SECRETS)
    assert clean_versions == [clean[f"clean-pass-{i}"][-1] for i in range(SECRETS)]  # the latest version
    assert storm_versions == [storm[f"storm-pass-{i}"][-1] for i in range(SECRETS)]
    assert storm_writes == clean_writes
