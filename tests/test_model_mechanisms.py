"""What each mechanism must do to results, on metrics no input sets, with paired seeds (tests/paired.py).

Each test's docstring gives the effect measured when it was written, so the
margin over the test's threshold can be read at a glance.
"""

import copy

import numpy as np
import pytest
from scipy import stats

from crmsim.model import CrmModel
from crmsim.model.administrations import MISSIONS
from crmsim.model.metrics import INFO
from crmsim.model.params import PARAMS
from tests.conftest import NO_EVENTS, NO_NEEDS, scenario
from tests.paired import finals, paired

# Ten thousand citizens where a claim rests on few events (redress cases, the citizens who had a say) or on a
# difference being smaller than what matters: noise a third of a thousand's, so 8 seeds decide what 16 could not.
TEN_THOUSAND, FEW_SEEDS = {"n_citizens": 10_000}, range(8)

POOR = {m: {"quality": 0.1, "complexity": 0.9} for m in MISSIONS}
GOOD = {m: {"quality": 0.9, "complexity": 0.2, "staff": 200.0} for m in MISSIONS}  # right, and no queue


# --- trust: procedure, giving up, publication ------------------------------------------------
def test_a_known_fair_redress_procedure_raises_trust():
    """Measured: +0.014 [+0.013, +0.015]. Knowing a procedure, being heard, losing less to lapses."""
    change = paired(finals(scenario()), finals(scenario(policy="redress_procedure")), "trust_mean")
    assert change.low > 0, change


def test_giving_up_more_lowers_trust():
    """Giving up twice as readily (log-odds +2.8): non-take-up +0.52, trust -0.039 [-0.041, -0.038]."""
    base = finals(scenario())
    quitting = finals(scenario(behaviour={"giveup_intercept": 2.0}))
    assert paired(base, quitting, "non_take_up").low > 0.3
    change = paired(base, quitting, "trust_mean")
    assert change.high < 0, change


def _publication_effect(administrations=None, **behaviour):
    """Mean trust with every outcome published minus with none, no fixes to publish (responsiveness 0)."""
    hidden, shown = {"transparency": 0.0, "responsiveness": 0.0}, {"transparency": 1.0, "responsiveness": 0.0}
    sections = {"administrations": administrations or {}, "behaviour": behaviour}
    return paired(finals(scenario(levers=hidden, **sections)), finals(scenario(levers=shown, **sections)),
                  "trust_mean")


def test_publishing_outcomes_raises_trust_where_results_beat_expectations_and_lowers_it_where_they_fall_short():
    """James 2011: a cue of good performance raises perceptions, one of bad performance lowers them.

    The cue is the published success rate against the one citizens expect (their
    disposition to trust, about 0.6). Measured over 16 seeds: poor service (quality
    0.1, complexity 0.9; about a third of requests met) -0.061 [-0.063, -0.060];
    good service (quality 0.9, complexity 0.2, ample staff) +0.028 [+0.027, +0.029].
    """
    poor, good = _publication_effect(POOR), _publication_effect(GOOD)
    assert poor.high < 0, f"poor service: {poor}"
    assert good.low > 0, f"good service: {good}"
    # Reading about a service moves trust less than living it: the same two services, unpublished, part
    # their users' trust by far more than either publication moves it (what citizens live weighs most).
    hidden = {"transparency": 0.0, "responsiveness": 0.0}
    lived = paired(finals(scenario(levers=hidden, administrations=POOR)),
                   finals(scenario(levers=hidden, administrations=GOOD)), "trust_mean")
    assert max(abs(poor.mean), abs(good.mean)) < lived.low, (poor, good, lived)


def test_a_published_wait_beyond_what_citizens_expect_lowers_trust():
    """The same crowded counters, published; only the wait citizens expect differs.

    At the calibrated baseline the busiest counter publishes about 2.5 weeks. Citizens
    who expect half a week read every queue as an overrun; those who expect 26 weeks
    read none. Measured: the publication effect falls from +0.011 to -0.047 (paired
    difference -0.058 [-0.060, -0.057]).
    """
    patient = _publication_effect(expected_wait_weeks=26.0)
    hurried = _publication_effect(expected_wait_weeks=0.5)
    assert hurried.mean < patient.mean - 0.02, (hurried, patient)
    assert hurried.high < 0, hurried


def test_bad_news_weighs_more_than_good_news_of_the_same_size():
    """Negativity (Olsen 2015): a cue of -x moves trust publication_negativity times as far as +x, toward 0.

    Checked on the update itself: at trust 0.5, a cue of +0.2 and -0.2 at weight 0.01 and
    negativity 1.5 move trust by +0.001 and -0.0015.
    """
    from crmsim.model.phases.trust import _read_publications

    trust = np.array([[0.5, 0.5]])
    _read_publications(trust, np.array([[0.2, -0.2]]), 0.01, 1.5)
    assert trust[0, 0] - 0.5 == pytest.approx(0.001)
    assert trust[0, 1] - 0.5 == pytest.approx(-0.0015)


def test_publication_alone_moves_trust_less_than_experience_does():
    """Grimmelikhuijsen et al. 2013: transparency's effect on trust is subdued.

    At the calibrated baseline, publishing every outcome (no fixes) moves mean trust by
    less than a tenth of what experience does: halving every administration's quality
    (more failures felt first-hand) moves it by about -0.10; publication by +0.011.
    """
    published = _publication_effect()
    halved = {m: {"quality": MISSIONS[m].quality / 2} for m in MISSIONS}
    experience = paired(finals(scenario()), finals(scenario(administrations=halved)), "trust_mean")
    assert experience.high < 0, experience
    assert abs(published.mean) < abs(experience.mean) / 5, (published, experience)


# --- channel choice ---------------------------------------------------------------------------
def test_pushing_people_online_deters_them_unless_it_frees_a_crowded_counter():
    """online_push 2 (the level the review tried) acts only through the channels people would use.

    Where the counters have room (ample staff), the push only moves people toward a
    channel they expect less from, and non-take-up rises: measured +0.008 [+0.004,
    +0.013]. At the calibrated baseline the counters are crowded; the push takes the
    skilled online, the queue shortens, and the least skilled, who stay at the
    counter, give up less: measured -0.060 [-0.069, -0.051] in the bottom quartile.
    The same push, opposite signs: the effect is the queue's, not the lever's.
    """
    ample = {m: {"staff": 200.0} for m in MISSIONS}
    roomy = paired(finals(scenario(administrations=ample)),
                   finals(scenario(administrations=ample, levers={"online_push": 2.0})), "non_take_up")
    assert roomy.low > 0, roomy
    crowded = paired(finals(scenario()), finals(scenario(levers={"online_push": 2.0})), "non_take_up_bottom")
    assert crowded.high < 0, crowded
    assert paired(finals(scenario()), finals(scenario(levers={"online_push": 2.0})), "online_share").low > 0.1


@pytest.mark.parametrize("metric", ["non_take_up", "non_take_up_bottom"])
def test_digital_first_raises_non_take_up_overall_and_in_the_bottom_skill_quartile(metric):
    """Measured: non_take_up +0.022, non_take_up_bottom +0.057 (intervals well above 0)."""
    change = paired(finals(scenario()), finals(scenario(policy="digital_first")), metric)
    assert change.low > 0, change


def test_the_single_front_office_raises_take_up_after_life_events_beyond_its_privacy_effect():
    """Both arms share files fully (interconnection 1), so only the single contact differs.

    Measured over 24 seeds: event take-up +0.035 (about 3.5 standard errors).
    """
    seeds = range(24)
    shared_files = finals(scenario(levers={"interconnection": 1.0}), seeds)
    one_contact = finals(scenario(levers={"interconnection": 1.0, "single_front_office": True}), seeds)
    change = paired(shared_files, one_contact, "event_take_up")
    assert change.low > 0, change


# --- redress -----------------------------------------------------------------------------------
def _heard_cases(policy: str, seeds: range):
    """Every case heard over a year: evidence brought, whether a prescriber helped, whether it was won."""
    evidence, helped, won = [], [], []
    for seed in seeds:
        model = CrmModel(scenario(policy=policy), rng=seed)
        for _ in range(52):
            model.step()
            evidence.append(model.week.decided_evidence)
            helped.append(model.week.decided_helped)
            won.append(model.week.decided_won)
    return np.concatenate(evidence), np.concatenate(helped), np.concatenate(won)


def _win_rates_differ(won: np.ndarray, better: np.ndarray) -> tuple[float, float, float]:
    table = [[won[better].sum(), (~won[better]).sum()], [won[~better].sum(), (~won[~better]).sum()]]
    return won[better].mean(), won[~better].mean(), stats.fisher_exact(table, alternative="greater").pvalue


def test_redress_success_rises_with_the_citizens_knowledge_and_help():
    """Over 1,300 heard cases (redress_procedure, 16 seeds), no parameter sets a win rate.

    Measured: more knowledge 0.60 vs 0.46 (p ~ 1e-7); helped by a prescriber 0.63 vs 0.49 (p ~ 1e-6).
    """
    evidence, helped, won = _heard_cases("redress_procedure", range(16))
    assert won.size > 500
    informed, uninformed, p = _win_rates_differ(won, evidence > np.median(evidence))
    assert informed > uninformed and p < 1e-3, (informed, uninformed, p)
    with_help, alone, p = _win_rates_differ(won, helped)
    assert with_help > alone and p < 1e-3, (with_help, alone, p)


def test_no_parameter_sets_a_redress_win_rate():
    """The review's odds come from merit, evidence, independence and waiting: no 'upheld share' input."""
    assert not [name for name in PARAMS if "upheld" in name or name.endswith("success")]


def test_a_redress_deadline_changes_outcomes_when_capacity_binds():
    """Baseline capacity binds, so a deadline of 1 week lets cases lapse unheard that 52 weeks would hear.

    Success then moves two ways at once (more cases heard, but heard later, with less evidence left): measured
    +0.016 [-0.010, +0.041] at 10,000 citizens over 8 seeds, under what a test can resolve here; the share heard
    on time is the outcome the deadline decides."""
    short = finals(scenario(levers={"redress_deadline": 1}))
    long = finals(scenario(levers={"redress_deadline": 52}))
    assert paired(short, long, "redress_on_time").low > 0.1


# --- voice and supply --------------------------------------------------------------------------
def test_a_poll_hears_the_whole_public_even_when_nothing_fails():
    """With perfect quality nobody fails or complains; only polls can bring voice, and with them fixes follow."""
    perfect = {m: {"quality": 1.0} for m in MISSIONS}
    polled = CrmModel(scenario(warmup=0, administrations=perfect, levers={"voice_collection": 1.0,
                                                                          "responsiveness": 1.0}), rng=1)
    silent = CrmModel(scenario(warmup=0, administrations=perfect, levers={"voice_collection": 0.0,
                                                                          "responsiveness": 1.0}), rng=1)
    polled.run(52), silent.run(52)
    assert polled.year.failures == 0
    assert polled.final_metrics()["adaptations"] > 0 and silent.final_metrics()["adaptations"] == 0


# Transparent feedback's levers, whose fixes are published and acted on for those who raised them.
FEEDBACK = {"transparency": 0.9, "responsiveness": 0.5, "voice_collection": 0.4}
HEADLINE = ("trust_mean", "knowledge_gini", "redress_success", "lost_users", "non_take_up_bottom")


def test_a_fix_that_improves_nothing_moves_trust_by_less_than_what_matters():
    """Fixes that change nothing (adaptation_step 0), published and seen by those who raised them, against no fix
    at all (responsiveness 0): both publish every outcome alike. The news announces no gain and lived experience
    is the same, so only the sense of having been heard remains, for the few who raised something: the paired
    difference in mean trust lies within +-0.01 (16 seeds). Measured: +0.001 [-0.000, +0.003]."""
    useless = finals(scenario(levers={**FEEDBACK, "adaptation_step": 0.0}))
    none = finals(scenario(levers={**FEEDBACK, "adaptation_step": 0.0, "responsiveness": 0.0}))
    assert useless["adaptations"].mean() > 5  # fixes were made, and published
    effect = paired(none, useless, "trust_mean")
    assert -0.01 < effect.low and effect.high < 0.01, effect


def test_a_poll_buys_no_more_fixes_than_the_staff_time_to_act_on_it():
    """The City of Paris case: voice collected by poll, acted on no more than before. At the baseline's
    responsiveness the poll makes at most 1.5 times the baseline's fixes a year (measured: 1.1 times), and a poll
    nobody acts on (responsiveness 0) makes none and moves no headline metric beyond what matters (10,000
    citizens, 8 seeds)."""
    base = finals(scenario(population=TEN_THOUSAND), FEW_SEEDS)
    poll = finals(scenario(population=TEN_THOUSAND, levers={"voice_collection": 0.9}), FEW_SEEDS)
    assert poll["adaptations"].mean() <= 1.5 * base["adaptations"].mean(), (poll["adaptations"].mean(),
                                                                            base["adaptations"].mean())
    deaf = {"responsiveness": 0.0}
    unheard = finals(scenario(population=TEN_THOUSAND, levers=deaf), FEW_SEEDS)
    unheard_poll = finals(scenario(population=TEN_THOUSAND, levers={**deaf, "voice_collection": 0.9}), FEW_SEEDS)
    assert (unheard_poll["adaptations"] == 0).all()
    for metric in HEADLINE:
        effect = paired(unheard, unheard_poll, metric)
        mid = INFO[metric].mid
        assert -mid < effect.low and effect.high < mid, (metric, effect)


def test_under_co_design_citizens_who_had_a_say_trust_more_than_those_who_did_not():
    """Having a say raises the level trust returns to (say_weight). Within each co-design run, among the citizens
    who raised something in the last year (many after a failure), those who saw it acted on and feel heard
    (efficacy at least one half) trust more than those who did not; and the heard trust more than in the same
    co-design with the channel switched off (say_weight 0) (10,000 citizens, 8 seeds, paired). Who sees a fix
    acted on is a draw (transparency), so the first comparison is not one of who complains."""
    from crmsim.model.metrics import citizen_trust
    from tests.paired import warmed

    co_design = {"voice_collection": 0.6, "responsiveness": 0.9, "transparency": 0.5, "adaptation_step": 0.1,
                 "improvement_weeks": 10.0}
    gaps, channel = [], []
    for seed in FEW_SEEDS:
        runs = {}
        for say in (0.1, 0.0):
            spec = scenario(population=TEN_THOUSAND, levers=co_design, behaviour={"say_weight": say})
            model = warmed(spec, seed).branch(spec)
            model.run(52, record=False)
            runs[say] = (citizen_trust(model), model.citizens.efficacy >= 0.5)
            if say:
                raised = (model.citizens.raised > model.steps - 52).any(axis=1)
        trust, heard = runs[0.1]
        assert (heard & raised).any() and (~heard & raised).any()
        gaps.append(trust[heard & raised].mean() - trust[~heard & raised].mean())
        channel.append(trust[heard].mean() - runs[0.0][0][heard].mean())
    for name, values in (("heard minus not heard", gaps), ("with the channel minus without", channel)):
        low, _ = stats.t.interval(0.95, len(values) - 1, loc=np.mean(values), scale=stats.sem(values))
        assert low > 0, (name, np.mean(values), low)


def test_fixes_wear_off_without_upkeep_and_are_bounded_by_the_staff_time_given_to_them():
    model = CrmModel(scenario(warmup=0, levers={"responsiveness": 1.0}), rng=2)
    admin = model.administrations[0]
    admin.quality, admin.complexity = 0.95, 0.05
    model.p.responsiveness = 0.0
    for _ in range(104):
        admin.step()
    assert admin.quality == pytest.approx(admin.mission.quality, abs=0.2)
    assert admin.quality < 0.95 - 0.5 * (0.95 - admin.mission.quality)  # more than half the fix wore off
    assert admin.complexity > 0.05 + 0.5 * (admin.mission.complexity - 0.05)
    assert admin.adaptations == 0  # no time follows what users raise: no fix, whatever the voice

    # All of 5 staff weeks a year follow users' voice, a fix takes a week: 5 fixes a year, however loud the voice.
    model.p.responsiveness, model.p.improvement_weeks, model.p.fix_staff_cost = 1.0, 5.0, 1.0
    admin.improvement_credit = 0.0
    for _ in range(52):
        admin.voice = 1e6  # far past the threshold every week
        admin.step()
    assert admin.adaptations == 5


def test_prescribers_knowledge_goes_stale_without_casework_and_training_keeps_it_current():
    idle = dict(warmup=0, administrations=NO_NEEDS, life_events=NO_EVENTS,
                behaviour={"knowledge_decay": 0.02, "broadcast": 0.0})
    untrained = CrmModel(scenario(**idle, levers={"funded_prescribers": 0.0}), rng=3)
    trained = CrmModel(scenario(**idle, levers={"funded_prescribers": 1.0}), rng=3)
    start = untrained.prescriber_state.knowledge.mean()
    untrained.run(52), trained.run(52)
    assert untrained.prescriber_state.knowledge.max() < 0.5 * start  # stale after a year without cases
    funded = trained.prescriber_state.funded
    assert funded.any()
    # Training (0.05 a week) against obsolescence (0.02) holds knowledge near 0.05 / (0.05 + 0.02) = 0.71.
    assert trained.prescriber_state.knowledge[funded].min() > 0.65


def test_funded_prescribers_reach_more_of_the_less_skilled():
    base = CrmModel(scenario(), rng=4)
    funded = base.branch(scenario(policy="funded_prescribers"))
    def helped_share(model):
        return (model.citizens.helper[model.bottom_quartile] >= 0).mean()
    assert helped_share(funded) > helped_share(base) + 0.1
    assert funded.edges[0].size > base.edges[0].size


# --- warm-up and branching ---------------------------------------------------------------------
def test_the_policy_switches_on_after_a_warm_up_under_the_baseline_levers():
    baseline = CrmModel(scenario(warmup=30), rng=5)
    faq = CrmModel(scenario(warmup=30, policy="faq"), rng=5)
    np.testing.assert_equal(faq.records[0], baseline.records[0])  # the same settled state, before the policy
    assert faq.p.faq_quality == 0.6 and baseline.p.faq_quality == 0.0
    assert faq.steps == baseline.steps == 30
    faq.run(5), baseline.run(5)
    assert faq.records[-1] != baseline.records[-1]


def test_a_branch_is_identical_to_a_fresh_run_and_leaves_its_source_untouched():
    source = CrmModel(scenario(warmup=20), rng=6)
    kept = copy.deepcopy(source.records)
    branch = source.branch(scenario(warmup=20, policy="full_mediation"))
    fresh = CrmModel(scenario(warmup=20, policy="full_mediation"), rng=6)
    assert branch.run(20).equals(fresh.run(20))
    assert source.records == kept and source.p.faq_quality == 0.0


def test_a_branch_may_change_only_the_policy():
    source = CrmModel(scenario(warmup=2), rng=7)
    with pytest.raises(ValueError, match="policy"):
        source.branch(scenario(warmup=2, population={"n_citizens": 500}))
    source.run(1)
    with pytest.raises(ValueError, match="warm-up"):
        source.branch(scenario(warmup=2, policy="faq"))
