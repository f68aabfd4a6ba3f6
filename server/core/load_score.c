/* load_score.c - (being written) */
