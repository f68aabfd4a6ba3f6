/* noentry.c - a shared object without the entry symbol. */
#include "fixture.h"

int inn_fixture_not_the_entry(void);

int
inn_fixture_not_the_entry(void)
{
	return 42;
}
