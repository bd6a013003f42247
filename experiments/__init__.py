"""Sweeps of crmsim runs, with replications, that survive crashes: run, save, then analyse.

One module per job:

- ``spec``: experiment files (TOML, validated; one-line errors naming file and field);
- ``limits``: how big a sweep may get (runs, design memory, worker processes), in one place;
- ``design``: full factorial, Latin hypercube, Sobol (Saltelli) and Morris designs;
- ``seeds``: each run's seed from the master seed and its replicate (numpy SeedSequence; the same at
  every design point, so replicates are paired across points);
- ``execute``: what a worker does with a chunk of runs (tidy rows);
- ``evaluators``: where chunks run (sequential, local processes, Dask), one module each;
- ``runner``: the sweep: chunks out, Parquet parts in, resume;
- ``store``: ``results/<experiment>/``: manifest, design, parts, written atomically, and checked
  against the manifest by every reader;
- ``progress``: a bar on a terminal, progress lines in a log;
- ``interrupt``: SIGTERM stops a sweep the way Ctrl-C does (exit code 143);
- ``analysis``: confidence intervals, Sobol and Morris indices from saved results;
- ``compare``: whole scenario files side by side, paired by replicate, with verdicts in plain words;
- ``discovery``: which lever values keep a condition true (PRIM, CART) and which levers matter
  (extra-trees feature scores), with EMA Workbench; ``box_scenario`` writes a box as a scenario file;
- ``rerun``: re-run one saved run and check it bit for bit.

The commands that drive them (``crmsim sweep``, ``compare``, ``report``,
``rerun``, ``discover``, ``frontier``) are in :mod:`crmsim.commands`, on top:
nothing here imports the command line.

Usage::

    crmsim sweep experiments/paper_question.toml          # local processes, one per core
    crmsim sweep experiments/paper_question.toml --resume # after a crash or Ctrl-C
    crmsim report results/paper_question/                 # report.html + summary.csv
    crmsim compare scenarios/calibrated_baseline.toml scenarios/faq.toml   # paired, with verdicts
    crmsim discover results/discovery/ --where "lost_users < 0.23"         # PRIM boxes, feature scores
    crmsim rerun results/paper_question/ 17               # re-run run 17, compare with the saved rows

On a cluster, start a Dask scheduler and workers that have crmsim installed,
then point the sweep at the scheduler (results are written where ``crmsim
sweep`` runs)::

    crmsim sweep experiments/sobol_headline.toml --dask tcp://SCHEDULER:8786

On Slurm, dask-jobqueue (``pip install dask-jobqueue``) starts the scheduler
on the login node and the workers as batch jobs; run this script there (a
sweep that stops when the jobs' walltime ends is finished by running it again)::

    from dask_jobqueue import SLURMCluster
    from crmsim.experiments.evaluators.dask import DaskEvaluator
    from crmsim.experiments.runner import run_sweep
    from crmsim.experiments.spec import load_experiment

    with SLURMCluster(cores=1, processes=1, memory="2GB", walltime="02:00:00") as cluster:
        cluster.scale(jobs=50)
        with DaskEvaluator(cluster.scheduler_address) as evaluator:
            run_sweep(load_experiment("experiments/sobol_headline.toml"), "results", evaluator, resume=True)
"""
