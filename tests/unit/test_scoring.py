from pathlib import Path

import pytest

from streams.ingest.scoring import DEFAULT_RULES, load_rules

RULES = load_rules()


@pytest.mark.parametrize(
    ("url", "cls"),
    [("https://x/pricing", "pricing"), ("https://x/Pricing/enterprise?a=1", "pricing"),
     ("https://x/demo", "demo"), ("https://x/blog/pricing-models", "blog"),
     ("https://x/pricingx", "other"), ("https://x/", "other"), ("https://x/docs/api", "docs"),
     (None, "")],
)
def test_url_classes_by_path_prefix(url, cls):
    assert RULES.url_class(url) == cls


@pytest.mark.parametrize(
    ("title", "persona"),
    [("Chief Technology Officer", "technical_evaluator"), ("VP Sales", "economic_buyer"),
     ("VP Engineering", "technical_evaluator"), ("Head of IT", "technical_evaluator"),
     ("Director of Demand Generation", "champion"), ("Marketing Manager", "influencer"),
     ("Procurement Specialist", "procurement"), ("Data Analyst", "user"),
     ("Summer Intern", "other"), ("", "")],
)
def test_personas_from_titles(title, persona):
    assert RULES.persona(title) == persona


def test_score_multiplies_type_class_tier_and_persona():
    assert RULES.score("web_visit", "pricing", "1", "economic_buyer") == 1.0 * 5 * 1.5 * 2
    assert RULES.score("web_visit", "other", "3", "") == 1.0
    assert RULES.score("email_open", "", "2", "influencer") == 0.5 * 1.2 * 1.2
    assert RULES.score("ad_click", "", "", "") == 2.0
    assert RULES.score("unknown", "", "", "") == 0.0


def test_rules_are_versioned_and_sql_parameters_agree(tmp_path):
    params = RULES.sql_parameters()
    assert params["version"] == RULES.version
    assert len(params["prefixes"]) == len(params["prefix_classes"])
    changed = tmp_path / "rules.toml"
    changed.write_text(Path(DEFAULT_RULES).read_text()
                       .replace('version = "', 'version = "x-')
                       .replace("weight = 5.0", "weight = 9.0"))
    other = load_rules(changed)
    assert other.version.startswith("x-")
    assert other.score("web_visit", "pricing", "3", "") == 9.0
