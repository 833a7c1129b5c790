"""Every write of the team app, one module per area (CSAS rounds, training and certification,
leadership reviews, service levels, appraisals, recognition); one atomic function per verb,
actor as keyword, raising the domain errors of ``manyi.errors``."""
