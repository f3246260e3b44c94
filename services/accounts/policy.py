"""The risk policy as data: tiers, limits, verification and the thresholds that move tiers."""

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from shared.money import from_fen, to_fen
from shared.rules_file import read_rules_file

PACKAGED_POLICY = Path(__file__).with_name("policy.toml")


@dataclass(frozen=True)
class TierTerms:
    """What a tier allows outside the counter, in fen, and how it is verified."""

    per_transaction: int
    daily: int
    verification_method: str

    def limits(self) -> dict:
        return {"per_transaction": from_fen(self.per_transaction), "daily": from_fen(self.daily)}


@dataclass(frozen=True)
class PoliceMeasure:
    """What a police outcome does to the account: a tier floor and a restriction."""

    tier: str
    restriction: str
    restriction_days: int  # 0: no expiry


@dataclass(frozen=True)
class Policy:
    version: str
    tier_order: tuple[str, ...]
    tiers: dict[str, TierTerms]
    elderly_age: int
    new_account_tier: str
    reviewed_account_tier: str
    recent_accounts_window: timedelta
    recent_accounts_threshold: int
    hold_tier: str
    repeated_holds: int
    repeated_holds_window: timedelta
    repeated_holds_tier: str
    police: dict[str, PoliceMeasure]
    decay_after: timedelta

    def rank(self, tier: str) -> int:
        return self.tier_order.index(tier)

    def higher(self, tier: str, floor: str) -> str:
        """The stricter of two tiers: a floor never lowers a tier."""
        return tier if self.rank(tier) >= self.rank(floor) else floor

    def one_step_down(self, tier: str) -> str:
        return self.tier_order[max(self.rank(tier) - 1, 0)]

    @property
    def lowest(self) -> str:
        return self.tier_order[0]

    @property
    def highest(self) -> str:
        return self.tier_order[-1]

    def terms(self, tier: str) -> TierTerms:
        return self.tiers[tier]


def parse_policy(raw: dict) -> Policy:
    """Build a Policy from the TOML's tables; ValueError if it names a tier it does not define."""
    try:
        order = tuple(raw["tier_order"])
        tiers = {
            name: TierTerms(
                per_transaction=to_fen(terms["per_transaction"]),
                daily=to_fen(terms["daily"]),
                verification_method=terms["verification_method"],
            )
            for name, terms in raw["tiers"].items()
        }
        opening, holds = raw["opening"], raw["holds"]
        policy = Policy(
            version=str(raw["version"]),
            tier_order=order,
            tiers=tiers,
            elderly_age=int(raw["segments"]["elderly_age"]),
            new_account_tier=opening["new_account_tier"],
            reviewed_account_tier=opening["reviewed_account_tier"],
            recent_accounts_window=timedelta(days=opening["recent_accounts_window_days"]),
            recent_accounts_threshold=int(opening["recent_accounts_threshold"]),
            hold_tier=holds["hold_tier"],
            repeated_holds=int(holds["repeated_holds"]),
            repeated_holds_window=timedelta(days=holds["repeated_holds_window_days"]),
            repeated_holds_tier=holds["repeated_holds_tier"],
            police={
                outcome: PoliceMeasure(m["tier"], m["restriction"], int(m["restriction_days"]))
                for outcome, m in raw["police"].items()
            },
            decay_after=timedelta(days=raw["decay"]["after_days"]),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the accounts policy is missing or misnames {exc}") from exc
    _check_tiers(policy)
    return policy


def _check_tiers(policy: Policy) -> None:
    named = {
        policy.new_account_tier,
        policy.reviewed_account_tier,
        policy.hold_tier,
        policy.repeated_holds_tier,
        *(measure.tier for measure in policy.police.values()),
    }
    if set(policy.tier_order) != set(policy.tiers):
        raise ValueError("tier_order and [tiers.*] must name the same tiers")
    unknown = named - set(policy.tiers)
    if unknown:
        raise ValueError(f"the accounts policy names undefined tiers: {sorted(unknown)}")


@lru_cache(maxsize=8)
def _load(path: str) -> Policy:
    return read_rules_file(path, parse_policy)


def load_policy(rules_file: str = "") -> Policy:
    """The policy at `rules_file` (WARDEN_ACCOUNTS_RULES_FILE), or the one shipped here."""
    return _load(str(Path(rules_file).resolve()) if rules_file else str(PACKAGED_POLICY))
