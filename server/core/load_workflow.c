/* load_workflow.c - (being written) */
