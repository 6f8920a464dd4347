/*-------------------------------------------------------------------------
 *
 * resume.h
 *	  Statements that run at top level in a deploy (SPEC §10): what an
 *	  interrupted one left, and how it runs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_RESUME_H
#define MIGRATE_RESUME_H

#include "migrate.h"

/* ---------- resume.c: what an interrupted statement left ---------- */

/* A statement to run at top level first, and what it is for */
typedef struct MigrateResumeStep
{
	Node	   *stmt;
	char	   *text;			/* for the NOTICE that says so */
} MigrateResumeStep;

typedef struct MigrateResume
{
	List	   *before;			/* MigrateResumeStep *, to run in order */
	bool		done;			/* then the statement itself is done */
} MigrateResume;

extern void migrate_resume_prepare(Node *stmt, bool attempted,
								   TransactionId since, MigrateResume *r);

/* ---------- toplevel.c: running one at top level ---------- */

extern void migrate_run_toplevel(Node *stmt, const char *text,
								 int location, int len);

#endif							/* MIGRATE_RESUME_H */
