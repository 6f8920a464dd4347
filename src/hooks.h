/*-------------------------------------------------------------------------
 *
 * hooks.h
 *	  The server's hooks the extension installs (hooks.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_HOOKS_H
#define MIGRATE_HOOKS_H

extern void migrate_install_hooks(void);

#endif							/* MIGRATE_HOOKS_H */
