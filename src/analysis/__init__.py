"""Customer relationship lifecycle and customer lifetime value (CLV) analysis.

Modules, one per concept:

- :mod:`analysis.data` loads the shipped real data and a user's own log;
  :mod:`analysis.validate` checks it.
- :mod:`analysis.rfm` summarises a log per customer (frequency, recency, T, monetary value).
- :mod:`analysis.simulate` generates logs with known truth.
- :mod:`analysis.models` holds the probabilistic CLV models; :mod:`analysis.clv`
  turns them (or formulas, or Markov chains) into discounted CLV.
- :mod:`analysis.describe` gives the descriptive tables of a log.
- :mod:`analysis.engines` summarises logs larger than memory inside DuckDB.
- :mod:`analysis.panel` builds the customer x period panel of a log.
- :mod:`analysis.lifecycle` assigns the four relationship stages (one module
  per concept: stages, signals, chain, curve, cohorts, evaluate, and the
  hidden-Markov-model comparison in :mod:`analysis.lifecycle.hmm`).
- :mod:`analysis.tables` builds the comparison tables of the CLV report;
  :mod:`analysis.models.published` holds the published values they compare with.
- :mod:`analysis.plots` draws the study's figures; :mod:`analysis.report` runs
  the notebooks into ``reports/``.
"""

__version__ = "0.1.0"
