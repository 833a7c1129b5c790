"""Every write of quality, one atomic function per verb (see the modules' docstrings):

* :mod:`.standards` — the standards library, its versions, the ranking exercise;
* :mod:`.audits` — audit templates, plans, audits, findings, action items;
* :mod:`.mystery` — mystery-shopping programmes, their stages and the shoppers' visits.
"""
