/*
 * demo_int.h - what demo_load.c (reading the demo) and demo.c (running
 * it) share.
 */
#ifndef INN_DEMO_INT_H
#define INN_DEMO_INT_H

#include <json-c/json.h>

/* {"component": name, "namespace": ns or ""}: the start of a component's
 * entry, in the dry-run's listing as in a report's rows. */
json_object *inn_demo_entry(const char *name, const char *ns);

#endif /* INN_DEMO_INT_H */
