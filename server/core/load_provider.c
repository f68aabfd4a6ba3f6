/* load_provider.c - (being written) */
