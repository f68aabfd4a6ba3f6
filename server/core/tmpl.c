/* tmpl.c - (being written) */
