/* catalog.c - (being written) */
