"""What every layer shows a person, defined once: translations, labels, exit codes, scenario files as text.

The command line (:mod:`crmsim.commands`), the pages (:mod:`crmsim.viz`) and
the engine's reports all read this package; it reads only the model's tables
(:mod:`crmsim.model.metrics`, :mod:`crmsim.model.params`) and never the command
line, so any layer can show the same words without importing another's code.

- :mod:`~crmsim.texts.i18n`: the language of the moment and the French catalogue (``crmsim/locale/``);
- :mod:`~crmsim.texts.labels`: metrics, levers and factors as a person reads them;
- :mod:`~crmsim.texts.exits`: one exit code per kind of failure, the same in every command;
- :mod:`~crmsim.texts.scenario_file`: a scenario written out as a commented file to edit.
"""
