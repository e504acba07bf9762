import pytest

from streams.attribution.learned_ip import LearnedBlock, LearningRules, block_of, learn

RULES = LearningRules(min_people=3, min_share=0.8, min_weight=2.0)


@pytest.mark.parametrize(
    ("ip", "block"),
    [("198.51.100.77", "198.51.100.0/24"), ("::ffff:198.51.100.77", "198.51.100.0/24"),
     ("2001:db8:1234:5678::1", "2001:db8:1234::/48"), ("nope", "")],
)
def test_block_of(ip, block):
    assert block_of(ip) == block


def test_a_block_is_learned_from_enough_people_of_one_account():
    assert learn([("b1", "acme", 3, 2.5)], RULES) == {"b1": LearnedBlock("acme", 3, 1.0, 2.5)}


@pytest.mark.parametrize(
    ("rows", "why"),
    [([("b1", "acme", 2, 5.0)], "one or two enthusiastic people are not a company"),
     ([("b1", "acme", 5, 1.5)], "old evidence has decayed below the floor"),
     ([("b1", "acme", 5, 6.0), ("b1", "globex", 4, 3.0)], "a shared block: no clear owner")],
)
def test_not_learned(rows, why):
    assert learn(rows, RULES) == {}, why


def test_a_block_that_changes_hands_moves_when_fresh_evidence_dominates():
    # Old owner's evidence decayed to 0.4, new owner's is fresh.
    learned = learn([("b1", "old-co", 6, 0.4), ("b1", "new-co", 3, 3.0)], RULES)
    assert learned["b1"].account_id == "new-co"
    assert learned["b1"].share == pytest.approx(3.0 / 3.4, abs=1e-3)
