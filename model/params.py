"""Every model parameter, defined once.

Each :class:`Param` carries its meaning, unit, default, allowed range and the
source of its default. Scenario validation (``model.scenario``), the command
line, the ODD parameter table (``docs/ODD.md``) and the browser sliders all read
this table, so a default is never written twice.

Parameters are grouped in sections that match the sections of a scenario file:
``population``, ``network``, ``behaviour``, ``levers`` and ``costs``. Costs
are prices (euros at 2023 prices, citizens' hours): they change no
behaviour, only what the cost metrics (``model.costs``) read. Levers are what a
mediation policy sets (``model.policies``); their defaults describe the
``supply_front_office`` baseline. Per-administration values (complexity,
quality, staff...) live in ``model.administrations``.

Examples
--------
>>> PARAMS["trust_loss"].default
0.3
>>> PARAMS["faq_quality"].section
'levers'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

__all__ = ["Param", "PARAMS", "SECTIONS", "FITTED", "params_in", "defaults", "number"]

# The calibrated baseline's fitted values (the posterior medians of the latest calibration), kept as data so that
# a refit does not change the model's code: see model/calibrated.toml.
FITTED: dict[str, float] = tomllib.loads(Path(__file__).with_name("calibrated.toml").read_text(encoding="utf-8"))

SECTIONS = ("population", "network", "behaviour", "levers", "costs")


@dataclass(frozen=True)
class Param:
    """One model parameter: what it means, its unit, default and allowed values.

    ``low``/``high`` bound numbers (inclusive); ``choices`` lists the allowed
    strings. ``source`` says where the default comes from (data or assumption).
    ``believed`` is, for the influential assumptions, the range within which
    the value is believed, with ``believed_reason``: plausible worlds
    (``crmsim worlds``) draw from it, where ``low``/``high`` only say what the
    model accepts.
    """

    name: str
    section: str
    meaning: str
    unit: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    source: str = "modelling assumption"
    believed: tuple[float, float] | None = None  # how far the value is believed: what plausible worlds draw from
    believed_reason: str = ""

    def __post_init__(self) -> None:
        if self.section not in SECTIONS:
            raise ValueError(f"{self.name}: unknown section {self.section!r}")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"{self.name}: low {self.low} is above high {self.high}")
        if self.choices is not None and self.default not in self.choices:
            raise ValueError(f"{self.name}: default {self.default!r} not in {self.choices}")
        if isinstance(self.default, (int, float)) and not isinstance(self.default, bool):
            if (self.low is not None and self.default < self.low) or (
                self.high is not None and self.default > self.high
            ):
                raise ValueError(f"{self.name}: default {self.default} outside [{self.low}, {self.high}]")
        if self.believed is not None:
            low, high = self.believed
            if not (low <= self.default <= high) or (self.low is not None and low < self.low) or (
                    self.high is not None and high > self.high) or not self.believed_reason:
                raise ValueError(f"{self.name}: believed range {self.believed} must hold the default, lie in the "
                                 f"allowed range and give its reason")

    @property
    def kind(self) -> type:
        """The Python type of the value: bool, int, float or str."""
        return type(self.default)

    def allowed(self) -> str:
        """Human-readable allowed values, e.g. 'a number from 0 to 1'."""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind is bool:
            return "true or false"
        if self.kind is str:
            return "a file path (text)" if self.name.endswith("_file") else "text"
        noun = "a whole number" if self.kind is int else "a number"
        if self.low is not None and self.high is not None:
            return f"{noun} from {number(self.low)} to {number(self.high)}"
        if self.low is not None:
            return f"{noun} of at least {number(self.low)}"
        return noun


def number(x: float) -> str:
    """A bound as a person writes it: 5000000, 0.5, 1e-04 only when tiny."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _p(*args: Any, **kwargs: Any) -> Param:
    return Param(*args, **kwargs)


_ALL = [
    # --- population ------------------------------------------------------
    _p("n_citizens", "population", "number of citizens (with topology = 'file', the file's nodes are the citizens "
       "and this is not used); more citizens give less noise, never another world (what grows with the population "
       "is set per 1000 citizens); the most this machine's memory allows is checked before a run", "people", 10_000,
       10,
       30_000_000, source="upper bound: about 520 bytes a citizen at mean degree 6 (benchmarks/bench_memory.py), "
                          "so 30 million fit in 16 GB"),
    _p("prescribers_per_1000", "population", "prescribers per 1000 citizens, both kinds (informal: informed peers, "
       "associations; institutional: social workers, public writers, one-stop help desks); the model has this many "
       "for every 1000 of its citizens, rounded, so a larger population keeps the same world", "per 1000 citizens",
       20.0, 0.0, 1000.0),
    _p("informal_share", "population", "share of prescribers that are informal (informed peers, associations); the "
       "others are institutional", "0..1", 0.5, 0.0, 1.0),
    _p("prescriber_ties", "population", "citizens tied to each prescriber, unless funded (prescribers are hubs)",
       "ties", 25, 1, 10_000),
    _p("funded_ties", "population", "citizens a funded institutional prescriber follows (outreach: funding buys "
       "caseworkers who reach more of the less skilled)", "ties", 75, 1, 10_000),
    _p("basic_skills_share", "population", "share of people aged 16 to 74 with at least basic digital skills: each "
       "age group's skill is spread so that this share reaches basic_skill_level, keeping the EU's gradient by age "
       "(model/ages.py)", "0..1", 0.5669, 0.01, 0.99,
       source="Eurostat isoc_sk_dskl_i21, 2023, EU 56.7% (the comparable series, as republished by EIGE: "
              "dgs-p.eige.europa.eu, tepsr_sp410)"),
    _p("basic_skill_level", "population", "the digital skill at which a citizen has at least basic digital skills "
       "(what basic_skills_share counts)", "0..1", 0.62, 0.05, 0.95,
       source="modelling assumption: it puts the mean skill of people aged 16 to 74 near 0.64, where the model's "
              "single skill distribution (mean 0.65) stood before ages"),
    _p("never_online_share", "population", "share of people aged 16 to 74 who never go online (no equipment, no "
       "connection): each age group's share is the EU's age profile scaled to it (model/ages.py)", "0..1", 0.06,
       0.0, 0.9, source="Eurostat isoc_ci_ifp_iu, 2023: 6.0% of people aged 16-74 in the EU had never used the "
       "internet (Statistics Explained, 'Digital society statistics at regional level')"),
    _p("online_offer", "population", "share of procedures that can be completed online (the supply; a country "
       "profile maps its eGovernment Benchmark score to it, scenarios/countries/)", "0..1", 0.84, 0.0, 1.0,
       source="eGovernment Benchmark 2023 (European Commission): 84% of services for national users can be "
              "completed fully online"),
    _p("online_default", "population", "online is the default or mandatory way to deal with the administrations "
       "(as Denmark's Digital Post), for those who can go online", "-", False),
    _p("skill_spread", "population", "spread of digital skill within an age group (standard deviation of the Beta law; 0: everyone has the "
       "basic level, no differences of skill at all)", "0..1", 0.22, 0.0, 0.45),
    _p("knowledge_mean", "population", "mean initial procedural knowledge (an initial condition: knowledge then "
       "settles where learning balances obsolescence)", "0..1", 0.35, 0.0, 1.0),
    _p("knowledge_spread", "population", "spread of initial knowledge around what skill predicts (standard deviation)",
       "0..1", 0.15, 0.0, 0.45),
    _p("skill_knowledge_link", "population", "how much initial knowledge follows digital skill (0 = independent, 1 = equal)",
       "0..1", 0.5, 0.0, 1.0),
    _p("initial_trust", "population", "mean initial trust in each administration (an initial condition: trust then "
       "settles where experience balances each citizen's disposition)", "0..1", 0.45, 0.0, 1.0),
    _p("initial_trust_spread", "population", "spread of initial trust between citizens (standard deviation)", "0..1",
       0.15, 0.0, 0.45),
    _p("trust_admin_spread", "population", "spread of a citizen's initial trust between administrations (standard "
       "deviation of a normal draw, clipped to 0..1)", "0..1", 0.05, 0.0, 0.45),
    _p("trust_disposition", "population", "mean disposition to trust institutions: the level each citizen's trust "
       "returns to when nothing happens (generalised trust)", "0..1", FITTED["trust_disposition"], 0.0, 1.0,
       source="fitted: ABC-SMC posterior median, calibration/targets.toml (scenarios/calibrated_baseline.toml); target: OECD Trust Survey 2023, 45% trusting the civil service"),
    _p("disposition_spread", "population", "spread of the disposition to trust between citizens (standard deviation)",
       "0..1", 0.2, 0.0, 0.45),
    _p("privacy_concern_mean", "population", "mean privacy concern", "0..1", 0.4, 0.0, 1.0),
    _p("privacy_concern_spread", "population", "spread of privacy concern (standard deviation)", "0..1", 0.2, 0.0, 0.45),
    _p("voice_mean", "population", "mean propensity to complain or answer a poll", "0..1", 0.25, 0.0, 1.0),
    _p("voice_spread", "population", "spread of the propensity to complain (standard deviation)", "0..1", 0.15, 0.0, 0.45),
    # --- network -----------------------------------------------------------
    _p("topology", "network", "kind of social network", "-", "communities",
       choices=("small_world", "scale_free", "communities", "complete", "file")),
    _p("mean_degree", "network", "mean number of ties per citizen", "ties", 6, 2, 200),
    _p("rewire", "network", "small world: share of ring ties rewired at random", "0..1", 0.1, 0.0, 1.0),
    _p("degree_exponent", "network", "scale free: exponent of the power-law degree distribution", "-", 2.5, 2.01, 4.0),
    _p("n_communities", "network", "communities: number of communities", "groups", 10, 1, 10_000),
    _p("homophily", "network", "communities: share of ties inside one's community, communities grouped by skill",
       "0..1", 0.8, 0.0, 1.0),
    _p("network_file", "network", "topology = 'file': path of a GraphML, GEXF or GML file or an edge list "
       "(.edgelist/.txt/.csv; a header line such as source,target is allowed), relative to the scenario file", "path",
       ""),
    _p("informal_tilt", "network", "how strongly informal prescribers gather around the skilled: a citizen is picked "
       "with weight exp(tilt x skill) (0 = at random)", "log-weight per unit of skill", 2.0, 0.0, 20.0,
       source="paper 3: 'the more competent he is ... the more numerous they become'"),
    _p("institutional_tilt", "network", "how strongly institutional prescribers seek out the less skilled: a citizen is "
       "picked with weight exp(-tilt x skill) (0 = at random)", "log-weight per unit of skill", 2.0, 0.0, 20.0,
       source="paper 3: social workers and public writers reconnect the 'lost' user"),
    # --- behaviour ---------------------------------------------------------
    _p("knowledge_model", "behaviour", "knowledge as a level (continuous) or yes/no (binary, Bass hazard)",
       "-", "continuous", choices=("continuous", "binary")),
    _p("broadcast", "behaviour", "information reaching citizens from official pages each week (Bass p)", "1/week",
       0.01, 0.0, 1.0),
    _p("word_of_mouth", "behaviour", "share of a better-informed circle's knowledge advantage learned each week "
       "(continuous), or Bass q (binary)", "1/week", 0.03, 0.0, 1.0),
    _p("knowledge_decay", "behaviour", "share of procedural knowledge made obsolete each week as procedures change "
       "(and forgotten); binary: chance of becoming uninformed", "1/week", 0.015, 0.0, 1.0,
       source="modelling assumption: a half-life near a year, as rules and forms are revised yearly"),
    _p("trust_spread", "behaviour", "weight of neighbours' trust each week (DeGroot step)", "1/week", 0.01, 0.0, 1.0),
    _p("prescriber_weight", "behaviour", "weight of a prescriber relative to an ordinary neighbour (opinion leader)",
       "x", 5.0, 1.0, 100.0),
    _p("prescriber_knowledge", "behaviour", "initial knowledge of a prescriber (it then goes stale, and is refreshed by "
       "caseload and training)", "0..1", 0.8, 0.0, 1.0),
    _p("prescriber_capacity", "behaviour", "people an unfunded prescriber helps per week", "people/week", 2, 0, 1000),
    _p("funded_capacity", "behaviour", "people a funded institutional prescriber helps per week", "people/week", 10,
       0, 1000),
    _p("funded_training", "behaviour", "share of missing knowledge a funded prescriber's training restores each week",
       "1/week", 0.05, 0.0, 1.0),
    _p("learn_rate", "behaviour", "knowledge gained per contact with an administration, as a share of what is missing "
       "(a prescriber learns as much from each case it handles)", "0..1", 0.1, 0.0, 1.0),
    _p("qa_half_saturation", "behaviour", "share of an administration's public asking in a week at which published "
       "answers reach half of that public", "0..1", 0.01, 0.0001, 1.0),
    _p("forum_answer_quality", "behaviour", "share of missing knowledge a forum answer gives the asker, at full forum "
       "activity", "0..1", 0.5, 0.0, 1.0),
    _p("success_intercept", "behaviour", "log-odds that a citizen's file is complete and right, at average skill, "
       "knowledge and complexity", "logit", 0.0, -10.0, 10.0),
    _p("skill_weight", "behaviour", "log-odds per unit of digital skill (at a counter or with a prescriber, staff make up "
       "part of a low skill)", "logit", 3.0, 0.0, 20.0),
    _p("knowledge_weight", "behaviour", "log-odds per unit of knowledge", "logit", 3.0, 0.0, 20.0),
    _p("complexity_weight", "behaviour", "log-odds lost per unit of procedure complexity", "logit", 4.0, 0.0, 20.0),
    _p("load_weight", "behaviour", "log-odds lost per unit of counter overload", "logit", 1.0, 0.0, 20.0),
    _p("personal_weight", "behaviour", "log-odds gained with a personal record at full personalisation", "logit", 1.5, 0.0, 20.0),
    _p("counter_help", "behaviour", "share of the skill handicap a counter agent or prescriber makes up", "0..1", 0.7, 0.0, 1.0),
    _p("admin_error", "behaviour", "share of complete, correct files the administration still decides wrongly (unless "
       "it gets the case right on its own): such failures have merit and can be won on redress", "0..1", 0.2, 0.0, 1.0),
    _p("giveup_intercept", "behaviour", "log-odds of giving up (non-take-up) at an expected success of one half",
       "logit", FITTED["giveup_intercept"], -10.0, 10.0,
       source="fitted: ABC-SMC posterior median, calibration/targets.toml (scenarios/calibrated_baseline.toml); target: DREES 2022, 20% durable non-take-up of the RSA"),
    _p("giveup_success_weight", "behaviour", "log-odds of giving up lost per unit of expected success (which reads "
       "knowledge, skill, trust and the channels on offer)", "logit", 4.0, 0.0, 20.0),
    _p("burden_weight", "behaviour", "log-odds of giving up per further separate procedure waiting (administrative "
       "burden)", "logit", 0.5, 0.0, 20.0, source="Herd and Moynihan 2018: compliance costs drive non-take-up"),
    _p("online_intercept", "behaviour", "log-odds for online against the counter or a prescriber at a digital skill "
       "of one half, before any push (a general preference for, or against, doing things online)", "logit",
       FITTED["online_intercept"], -10.0, 10.0, source="fitted: ABC-SMC posterior median, calibration/targets.toml (scenarios/calibrated_baseline.toml); target: Eurostat 2023, 69.3% used a public authority's website or app"),
    _p("default_push", "behaviour", "log-odds added to self-service online, for citizens who can go online, where "
       "online is the default (population.online_default)", "logit", 1.0, 0.0, 10.0,
       source="assumption: Denmark's mandatory Digital Post (exemptions on application) signed up 91% of people; "
              "the push's size is not measured"),
    _p("counter_preference", "behaviour", "log-odds for online (and against the counter or a prescriber) per unit of "
       "digital skill", "logit", 3.0, 0.0, 20.0),
    _p("queue_aversion", "behaviour", "log-odds against the counter per person waiting per weekly slot", "logit", 1.0,
       0.0, 20.0),
    _p("queue_memory", "behaviour", "share of last week's queue signal kept in this week's (word of a long queue "
       "travels, and fades, over a few weeks)", "0..1", 0.5, 0.0, 1.0),
    _p("patience", "behaviour", "weeks a citizen waits in a full counter queue before giving up", "weeks", 2, 0, 52),
    _p("redress_intercept", "behaviour", "log-odds of contesting a failure, for a citizen who knows the procedure", "logit",
       FITTED["redress_intercept"], -10.0, 10.0, source="fitted: ABC-SMC posterior median, calibration/targets.toml (scenarios/calibrated_baseline.toml); target: Eurostat 2024, 5.3% submitted a claim or complaint online"),
    _p("redress_knowledge_weight", "behaviour", "log-odds of contesting per unit of knowledge", "logit", 2.0, 0.0, 20.0),
    _p("redress_voice_weight", "behaviour", "log-odds of contesting per unit of voice", "logit", 2.0, 0.0, 20.0),
    _p("redress_help_weight", "behaviour", "log-odds of contesting when a prescriber helps (the citizen went through "
       "one, or their prescriber is funded)", "logit", 1.5, 0.0, 20.0),
    _p("redress_merit_weight", "behaviour", "log-odds of contesting when the administration was at fault (the citizen "
       "has grounds)", "logit", 1.0, 0.0, 20.0),
    _p("redress_known_by_knowledge", "behaviour", "how much procedural knowledge tells a citizen that a redress "
       "procedure exists, beyond its visibility", "0..1", 0.5, 0.0, 1.0),
    _p("review_intercept", "behaviour", "log-odds that a review establishes a case's merit, at average evidence and "
       "independence, heard at once", "logit", FITTED["review_intercept"], -10.0, 10.0,
       source="fitted: ABC-SMC posterior median, calibration/targets.toml (scenarios/calibrated_baseline.toml); target: European Ombudsman 2022, 46% settled or solved"),
    _p("review_independence_weight", "behaviour", "log-odds of establishing merit per unit of the review's independence",
       "logit", 2.0, 0.0, 20.0),
    _p("evidence_weight", "behaviour", "log-odds of establishing merit per unit of evidence (the citizen's knowledge, or "
       "their prescriber's when helped)", "logit", 2.0, 0.0, 20.0),
    _p("evidence_decay", "behaviour", "log-odds of establishing merit lost per year a case waits (papers lost, the "
       "situation moved on)", "logit/year", 2.0, 0.0, 20.0),
    _p("trust_gain", "behaviour", "step toward a good outcome (expectation-confirmation)", "0..1", 0.1, 0.0, 1.0,
       source="Bhattacherjee 2001; asymmetry after Slovic 1993"),
    _p("trust_loss", "behaviour", "step toward a bad outcome; larger than the gain (trust is lost faster than won)",
       "0..1", 0.3, 0.0, 1.0, source="Slovic 1993"),
    _p("trust_relaxation", "behaviour", "share of the distance to the citizen's own disposition that trust closes each "
       "week (bounded memory of experience)", "1/week", 0.02, 0.0, 1.0),
    _p("no_recourse_penalty", "behaviour", "extra trust lost after a failure left with no redress, or a redress case "
       "never heard", "0..1", 0.1, 0.0, 1.0),
    _p("giveup_penalty", "behaviour", "trust lost in an administration when a citizen gives up a need there", "0..1",
       0.1, 0.0, 1.0),
    _p("heard_gain", "behaviour", "trust gained by being heard by a review, won or lost (procedural justice)", "0..1",
       0.1, 0.0, 1.0, source="Tyler 1990: fair procedures build legitimacy whatever the outcome"),
    _p("recourse_assurance", "behaviour", "share of the distance to full trust added to the disposition of a citizen who "
       "knows a redress procedure exists", "0..1", 0.1, 0.0, 1.0,
       source="paper 2.4: 'existence of a procedure for redress' as a basis for trust"),
    _p("publication_weight", "behaviour", "weekly step of trust toward full (or no) trust per unit of gap between an "
       "administration's published results and what the citizen expected, at full transparency", "1/week", 0.005,
       0.0, 0.1, source="assumption sized by Grimmelikhuijsen et al. 2013 (PAR 73(4)): transparency's effect on trust "
       "is 'subdued'; at 0.005 against trust_relaxation's 0.02, publication closes at most a fifth of the gap in the "
       "long run"),
    _p("publication_negativity", "behaviour", "how many times more a published result below expectation weighs than "
       "one above it by the same amount", "ratio", 1.5, 1.0, 4.0,
       source="James 2011 (JPART 21(3)): good results raise perceived performance, bad ones lower it; Olsen 2015 "
       "(PAR 75(3)): the same figure framed as dissatisfaction weighs more. The ratio itself is an assumption"),
    _p("expected_wait_weeks", "behaviour", "waiting time at the counter citizens expect; a published wait beyond it "
       "lowers trust", "weeks", 2.0, 0.1, 26.0,
       source="assumption: French service standards (Services Publics+, formerly Marianne) promise answers within "
       "about 15 working days"),
    _p("publication_memory", "behaviour", "share of last week's published success rate kept in this week's (a rolling "
       "average, as administrations publish a quarter's or a year's rate)", "0..1", 0.9, 0.0, 1.0),
    # Ratings and reviews (phases.ratings; paper 3): who rates, how a score is read, what it changes.
    _p("rate_after_met", "behaviour", "chance that a citizen rates the administration and channel after a need "
       "met (when a rating platform exists)", "0..1", 0.04, 0.0, 1.0,
       source="assumption sized by Hu, Pavlou and Zhang 2009 (CACM 52(10)): few buyers review, and mostly those "
       "with an extreme experience (under-reporting bias)"),
    _p("rate_after_failure", "behaviour", "chance that a citizen rates after a need failed or was abandoned in the "
       "queue", "0..1", 0.1, 0.0, 1.0,
       source="Anderson 1998 (J. Service Research 1(1)): the dissatisfied spread word of mouth more than the "
       "satisfied (TARP 1979: about twice as many people told); the ratio of 2.5 here is an assumption"),
    _p("rating_skill_gradient", "behaviour", "how much more the skilled rate: the chance to rate is multiplied by "
       "1 + this x (skill - 0.5)", "per unit skill", 1.0, 0.0, 2.0,
       source="Hargittai and Walejko 2008 (Information, Communication & Society 11(2)): creating and sharing "
       "content online rises with skill (the participation divide); the size is an assumption"),
    _p("rating_noise", "behaviour", "chance that a rating says the opposite of the outcome (a met need rated badly "
       "for the wait or the tone, a failed one rated well)", "0..1", 0.1, 0.0, 0.5),
    _p("rating_memory", "behaviour", "share of last week's ratings kept in this week's score (a rolling window: "
       "0.98 is a half-life of 34 weeks, as platforms show the last year or so)", "0..1", 0.98, 0.0, 1.0),
    _p("rating_read_skill_gradient", "behaviour", "how much less the less skilled read published scores: the chance "
       "to read is ratings x (1 + this x (skill - 0.5)), kept within 0 and ratings (at 1, a citizen of skill 0.2 "
       "reads 70% as often as one above 0.5; at 10, no one below 0.4 reads)", "per unit skill", 1.0, 0.0, 10.0,
       source="assumption after Hargittai and Walejko 2008: reading reviews, like other uses of the web beyond "
              "the basic, rises with skill; the size is an assumption"),
    _p("rating_trust_weight", "behaviour", "share of the distance between a citizen's trust and the score they read "
       "that reading closes, before they act (what they expect)", "0..1", 0.1, 0.0, 1.0,
       source="assumption: one read score weighs like one experience (trust_gain), expectation-confirmation "
              "(Bhattacherjee 2001) then moves trust from there"),
    _p("rating_choice_weight", "behaviour", "log-odds that a channel gains in the choice of channel per unit of its "
       "score above the administration's overall score, for citizens who read scores", "log-odds", 3.0, 0.0, 10.0,
       source="assumption: a channel rated 0.1 above the rest gains 0.3 log-odds, a tenth of what a unit of skill "
              "does (counter_preference)"),
    _p("prescriber_review_weight", "behaviour", "weight of a citizen's own prescriber's opinion against the public "
       "score, in what a citizen tied to them reads", "0..1", 0.5, 0.0, 1.0,
       source="Nielsen (2015), Global Trust in Advertising: 83% trust recommendations from people they know, 66% "
              "consumer opinions posted online; equal weight is an assumption"),
    _p("privacy_cost", "behaviour", "trust lost per contact at full interconnection and full privacy concern", "0..1",
       0.05, 0.0, 1.0),
    _p("fix_news_weight", "behaviour", "share of a published fix's announced gain in the chance of success that a "
       "user reading it takes as trust (read once, like a published result: at 1, news of a 2-point better procedure "
       "moves trust 2% of the way to full trust), weighted by transparency and discounted by the reader's own "
       "experience", "x", 1.0, 0.0, 10.0,
       source="assumption sized by Grimmelikhuijsen et al. 2013 (PAR 73(4)): transparency's effect on trust is "
              "'subdued and sometimes negative'; de Fine Licht 2014: no direct effect on acceptance"),
    _p("news_discount", "behaviour", "share of a published fix's news a user still believes when their own last "
       "outcome at that administration was a failure", "0..1", 0.5, 0.0, 1.0,
       source="assumption after Van Ryzin's expectancy-disconfirmation work and James 2011: performance "
              "information shifts what people expect more than it overrides what they lived"),
    _p("say_weight", "behaviour", "share of the distance to full trust added to the level a citizen's trust returns "
       "to, at a full sense of having a say (external efficacy), which a citizen gains by seeing what they raised "
       "acted on", "0..1", 0.1, 0.0, 1.0,
       source="OECD 2024 (Drivers of Trust, survey of 2023): 69% of those who feel they have a say trust the "
              "national government, 22% of the others, an association, not an effect; Tyler 1990 and Esaiasson, "
              "Gilljam and Persson 2012 (EJPR): personal involvement raises legitimacy, while the outcome's "
              "favourability dominates acceptance (Esaiasson et al. 2019, BJPolS). Size: one procedurally fair "
              "encounter raised satisfaction by d = 0.18 (Mazerolle et al. 2013, Queensland Community Engagement "
              "Trial), 0.036 on a trust scale whose spread is 0.2: 0.1 x (1 - 0.6) x full efficacy, about that"),
    _p("efficacy_decay", "behaviour", "share of the sense of having a say lost each week (it fades slowly: 0.0133 is a "
       "half-life of a year)", "1/week", 0.0133, 0.0, 1.0,
       source="assumption: no study gives a rate; panel studies find external efficacy partly situational"),
    _p("raised_weeks", "behaviour", "weeks within which a fix at an administration counts as acting on what a "
       "citizen raised there (a complaint collected, a poll or consultation answered, a rating, a forum question)",
       "weeks", 26, 1, 520, source="modelling assumption: half a year, about a budget or planning cycle"),
    _p("voice_decay", "behaviour", "share of accumulated voice kept from one week to the next", "0..1", 0.9, 0.0, 1.0),
    _p("voice_threshold", "behaviour", "accumulated voice per user at which users have raised a problem the "
       "administration can act on (with staff time to spare)", "per user", 0.002, 0.0001, 10.0,
       source="modelling assumption: low enough that the baseline's collected voice passes it at every "
              "administration, so improvement staff time, not voice, bounds how many fixes are made"),
    _p("collective_weight", "behaviour", "weight of a complaint a prescriber carries as a collective one, against 1 "
       "for an individual complaint", "x", 2.0, 1.0, 100.0),
    _p("poll_share", "behaviour", "share of an administration's public a poll reaches each week at full voice "
       "collection", "1/week", 0.01, 0.0, 1.0),
    _p("fix_wear", "behaviour", "share of a fix's gain lost each week without upkeep, as rules change and staff move",
       "1/week", 0.01, 0.0, 1.0),
    _p("fix_staff_cost", "behaviour", "weeks of improvement staff time one fix takes (a week of staff the size of "
       "the administration's counter)", "weeks", 1.0, 0.01, 52.0, source="modelling assumption"),
    # --- levers (defaults = supply_front_office baseline) --------------------
    _p("counter_staff", "levers", "counter and phone staff, as a multiple of each administration's usual staff", "x",
       1.0, 0.0, 10.0),
    _p("online_push", "levers", "log-odds added to self-service online against the other channels (redirection, "
       "counters by appointment); it never enters the decision to act at all", "logit", 0.0, 0.0, 10.0),
    _p("online_fit", "levers", "how well the online offer fits each administration's own procedure (1 = made for it)",
       "0..1", 1.0, 0.0, 1.0),
    _p("faq_quality", "levers", "FAQ or helpdesk: share of missing knowledge an answer gives the asker (0 = none)",
       "0..1", 0.0, 0.0, 1.0),
    _p("public_qa", "levers", "public Q&A: quality of answers, all published for everyone with the same need (0 = none)",
       "0..1", 0.0, 0.0, 1.0),
    _p("forum", "levers", "community forum: how active citizens are at helping peers beyond their ties (0 = none)",
       "0..1", 0.0, 0.0, 1.0),
    _p("personalisation", "levers", "personal space: how much a record of past contacts helps the next request "
       "(0 = none, low = an archive only)", "0..1", 0.0, 0.0, 1.0),
    _p("single_front_office", "levers", "one contact handles every need a citizen has waiting, at every administration",
       "-", False),
    _p("interconnection", "levers", "how much citizens' files are shared between administrations", "0..1", 0.1, 0.0, 1.0,
       source="baseline: some files are already shared (tax and benefit records)"),
    _p("data_protection_redress", "levers", "a data-protection recourse exists, so interconnection costs no trust", "-",
       False),
    _p("funded_prescribers", "levers", "share of institutional prescribers that are funded (more capacity, trained)",
       "0..1", 0.0, 0.0, 1.0),
    _p("prescriber_bundling", "levers", "prescribers carry individual complaints as collective ones", "-", False),
    _p("redress_visibility", "levers", "share of citizens who know a redress procedure exists, whatever their knowledge",
       "0..1", 0.1, 0.0, 1.0),
    _p("redress_capacity", "levers", "redress cases each administration decides per 1000 citizens per week "
       "(0 = no procedure)", "cases/1000/week", 0.2, 0.0, 1000.0),
    _p("redress_deadline", "levers", "weeks within which a redress case must be decided; an undecided case then lapses "
       "(silence means rejection)", "weeks", 8, 1, 520, source="France, CRPA art. L231-4: two months' silence on a "
                                                                  "recourse is an implicit rejection"),
    _p("review_independence", "levers", "independence of the review (0 = the office that decided reviews itself, "
       "1 = an independent body such as an ombudsman)", "0..1", 0.2, 0.0, 1.0),
    _p("voice_collection", "levers", "how actively opinions and complaints are collected (polls, forms)", "0..1",
       0.1, 0.0, 1.0),
    _p("improvement_weeks", "levers", "staff time each administration gives a year to improving its procedures, in "
       "weeks of a team the size of its counter (paid whether used or not; it caps how many fixes can be made)",
       "weeks/year", 5.0, 0.0, 52.0,
       source="baseline: about one fix a year at each administration at the baseline's responsiveness, as the "
              "model made before fixes were bounded by staff (3.6 a year over four administrations)"),
    _p("responsiveness", "levers", "share of the improvement staff time that follows what users raise (collected "
       "voice past the threshold); the rest goes to the administration's own agenda, which the model's procedures "
       "do not see", "0..1", 0.2, 0.0, 1.0),
    _p("transparency", "levers", "share of outcomes (success rates, waiting times) and fixes that are published and seen",
       "0..1", 0.1, 0.0, 1.0),
    _p("ratings", "levers", "public ratings and reviews of each administration and channel: how visible and complete "
       "the published scores are (0 = none, and no one rates)", "0..1", 0.0, 0.0, 1.0,
       source="paper 3: e-commerce gathers and shows customers' and prescribers' opinions"),
    _p("adaptation_step", "levers", "size of one fix: complexity cut, or quality raised, per adaptation", "0..1",
       0.05, 0.0, 1.0),
    # --- costs (euros at 2023 prices; citizens' hours apart) ------------------
    # UK figures are converted from pounds of 2012 with UK CPI 2012-2023 (x 1.36) and the 2023 exchange
    # rate (EUR 1.15 a pound). Their authors warn they fit simple information requests and understate
    # transactions, hence the wide ranges.
    _p("cost_counter_contact", "costs", "public cost of one face-to-face contact at a counter (staff time, "
       "premises), paid for the counter's capacity whether used or not", "EUR/contact", 12.8, 4.0, 40.0,
       source="Socitm Insight 2012 (UK councils): GBP 8.21 face to face; PwC for 19 London and South East "
              "councils: GBP 10.53; at 2023 prices; range up to 3x for transactions"),
    _p("cost_phone_contact", "costs", "public cost of one telephone contact", "EUR/contact", 4.05, 1.5, 15.0,
       source="Socitm Insight 2012: GBP 2.59 by telephone; PwC: GBP 3.39; at 2023 prices"),
    _p("phone_share", "costs", "share of the counter-and-phone capacity that is telephone", "0..1", 0.5, 0.0, 1.0,
       source="modelling assumption (the model's counter channel is counter or phone)"),
    _p("cost_online_contact", "costs", "public cost of one request handled online (self-service or helped by a "
       "device)", "EUR/request", 0.14, 0.05, 3.0,
       source="Socitm Insight 2012: GBP 0.09 on the web; PwC: GBP 0.08; at 2023 prices; transactions cost more"),
    _p("cost_assisted_request", "costs", "public cost of one request handled by a funded prescriber (a one-stop "
       "desk such as France Services)", "EUR/request", 39.0, 15.0, 100.0,
       source="Cour des comptes, September 2024: France Services cost about EUR 350 million in 2024 for about "
              "9 million requests in 2023"),
    _p("cost_redress_case", "costs", "public cost of one redress case decided (staff, review, notification)",
       "EUR/case", 300.0, 50.0, 3000.0,
       source="assumption, order of magnitude: an ombudsman's budget over the complaints it handles (a few "
              "hundred euros each); a tribunal case costs thousands"),
    _p("cost_fix", "costs", "public cost of one fix beyond the counter staff weeks it takes (design, IT), per "
       "1000 citizens served", "EUR/fix/1000 citizens", 500.0, 0.0, 10000.0, source="modelling assumption"),
    _p("cost_faq", "costs", "yearly cost of an FAQ or helpdesk at full quality, per 1000 citizens (scaled by "
       "faq_quality)", "EUR/year/1000 citizens", 2000.0, 0.0, 20000.0, source="modelling assumption"),
    _p("cost_public_qa", "costs", "yearly cost of a public Q&A at full quality, per 1000 citizens (scaled by "
       "public_qa)", "EUR/year/1000 citizens", 3000.0, 0.0, 30000.0, source="modelling assumption"),
    _p("cost_forum", "costs", "yearly cost of moderating a community forum at full activity, per 1000 citizens "
       "(scaled by forum)", "EUR/year/1000 citizens", 1500.0, 0.0, 20000.0, source="modelling assumption"),
    _p("cost_personal_space", "costs", "yearly cost of a personal space at full use, per 1000 citizens (scaled by "
       "personalisation)", "EUR/year/1000 citizens", 2500.0, 0.0, 30000.0, source="modelling assumption"),
    _p("cost_voice", "costs", "yearly cost of collecting opinions at full effort (polls, forms, co-design "
       "sessions), per 1000 citizens (scaled by voice_collection)", "EUR/year/1000 citizens", 1000.0, 0.0,
       20000.0, source="modelling assumption"),
    _p("cost_transparency", "costs", "yearly cost of publishing every outcome and fix, per 1000 citizens (scaled by "
       "transparency)", "EUR/year/1000 citizens", 1000.0, 0.0, 20000.0, source="modelling assumption"),
    _p("cost_ratings", "costs", "yearly cost of a rating platform with moderated reviews at full visibility, per 1000 "
       "citizens (scaled by ratings)", "EUR/year/1000 citizens", 800.0, 0.0, 20000.0, source="modelling assumption"),
    _p("cost_data_protection", "costs", "yearly cost of a data-protection recourse, per 1000 citizens (when "
       "data_protection_redress is on)", "EUR/year/1000 citizens", 400.0, 100.0, 2000.0,
       source="CNIL: a budget of about EUR 25-30 million a year for about 68 million people in the early 2020s "
              "(order of magnitude)"),
    _p("hours_online", "costs", "citizen's hours for one request online (alone or helped by a device)", "hours",
       0.5, 0.0, 10.0, source="modelling assumption"),
    _p("hours_prescriber", "costs", "citizen's hours for one request through a prescriber (including travel)",
       "hours", 1.5, 0.0, 20.0, source="modelling assumption"),
    _p("hours_counter", "costs", "citizen's hours for one counter or phone contact (including travel and the wait "
       "on the day)", "hours", 1.5, 0.0, 20.0, source="modelling assumption"),
    _p("hours_waiting_week", "costs", "citizen's hours for each week a request waits in the counter queue "
       "(calls, returns)", "hours/week", 0.25, 0.0, 10.0, source="modelling assumption"),
]

# How far the influential assumptions are believed (plausible worlds draw within these, uniformly). Most are
# a factor 1.5 either side of the default, the width the outside review tried: the direction is sourced, the
# size is not. Narrower or wider where something is known.
_FACTOR = "direction sourced, size assumed: a factor 1.5 either side of the default"
_BELIEVED: dict[str, tuple[float, float, str]] = {
    "trust_gain": (0.067, 0.15, "Bhattacherjee 2001 gives the direction, not the step: " + _FACTOR),
    "trust_loss": (0.2, 0.45, "Slovic 1993 gives the asymmetry (loss above gain), not the size: " + _FACTOR),
    "trust_relaxation": (0.013, 0.03, "memory of experience of one to two years (half-lives of 23 to 53 weeks)"),
    "no_recourse_penalty": (0.067, 0.15, _FACTOR),
    "giveup_penalty": (0.067, 0.15, _FACTOR),
    "fix_news_weight": (0.0, 2.0, "Grimmelikhuijsen et al. 2013 find transparency's effect subdued, de Fine Licht 2014 "
                                  "none: from no effect to twice the default"),
    "say_weight": (0.0, 0.3, "OECD 2024 shows an association, confounded by who feels heard; procedural-justice "
                             "studies give the direction: from none to three times the default"),
    "efficacy_decay": (0.0053, 0.0267, "no rate is published: a half-life from half a year to two and a half years"),
    "publication_weight": (0.0025, 0.01, "subdued (Grimmelikhuijsen et al. 2013): publication closes a ninth to a "
                                         "third of the gap in the long run"),
    "publication_negativity": (1.0, 2.0, "from none (James 2011 finds both signs) to twice (Olsen 2015)"),
    "expected_wait_weeks": (1.0, 4.0, "from a week to a month: service standards promise two to three weeks"),
    "queue_aversion": (0.67, 1.5, _FACTOR),
    "counter_preference": (2.0, 4.5, _FACTOR),
    "knowledge_weight": (2.0, 4.5, _FACTOR),
    "word_of_mouth": (0.02, 0.045, _FACTOR),
    "learn_rate": (0.067, 0.15, _FACTOR),
    "voice_threshold": (0.0013, 0.003, _FACTOR),
}
_ALL = [replace(p, believed=_BELIEVED[p.name][:2], believed_reason=_BELIEVED[p.name][2]) if p.name in _BELIEVED
        else p for p in _ALL]

PARAMS: dict[str, Param] = {p.name: p for p in _ALL}
if set(_BELIEVED) - set(PARAMS):  # pragma: no cover - guards the table itself
    raise RuntimeError(f"believed ranges for unknown parameters: {sorted(set(_BELIEVED) - set(PARAMS))}")
if len(PARAMS) != len(_ALL):  # pragma: no cover - guards the table itself
    raise RuntimeError("a parameter name is defined twice")
if set(FITTED) != {p.name for p in _ALL if p.source.startswith("fitted")}:  # pragma: no cover - guards the file
    raise RuntimeError("model/calibrated.toml must hold exactly the parameters whose source says they are fitted")


def params_in(section: str) -> list[Param]:
    """The parameters of one section, in table order."""
    return [p for p in _ALL if p.section == section]


def defaults() -> dict[str, Any]:
    """Every parameter's default, flat: ``{name: default}``."""
    return {p.name: p.default for p in _ALL}
