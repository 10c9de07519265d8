"""From the catalog, the hardware and the answers to ranked model plans (``models``)."""
