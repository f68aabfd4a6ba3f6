/* diag.c - (being written) */
