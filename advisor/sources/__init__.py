"""Reading models from where they live: the Hugging Face Hub and local folders (``hub``), with one
vocabulary of Hub errors that the catalog, the estimator and the smoke test share; and finding new
models of trusted publishers on the Hub (``discover``)."""
