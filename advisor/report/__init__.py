"""Views of a Recommendation: the Markdown report (``markdown``, with its ``templates/``), the CLI
summary (``summary``) and what would change the decision (``sensitivity``). They read results
only, never the rule base or the catalog again."""
