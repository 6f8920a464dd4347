/*-------------------------------------------------------------------------
 *
 * files.c
 *	  Reading migration files and listing directories.
 *
 * A migration file is text in UTF-8 (the scripts are sent to the server in
 * that encoding, whatever the database's): a file that holds a NUL byte or
 * is not valid UTF-8 is a problem of that file, reported with the line where
 * it goes wrong.  A byte order mark at the start is left out, as editors on
 * Windows write one and Flyway skips it too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mb/pg_wchar.h"

#include "pg_migrate.h"

/* 1-based line of the byte at offset */
int
line_at(const char *s, size_t offset)
{
	int			line = 1;
	size_t		i;

	for (i = 0; i < offset && s[i] != '\0'; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/*
 * read_text_file: the whole file at path, checked, into text; false (and a
 * problem of set) if it cannot be read or is not UTF-8 text.
 */
bool
read_text_file(MigrationSet *set, const char *path, FileText *result)
{
	int			fd;
	struct stat st;
	char	   *data;
	size_t		len = 0;
	size_t		size;
	int			valid;
	const char *nul;

	/*
	 * open, fstat, read and close, no more: a deploy reads every file on
	 * every run, and a read that returns less than asked for is the end of a
	 * regular file.
	 */
	fd = open(path, O_RDONLY | PG_BINARY, 0);
	if (fd < 0)
	{
		problem(set, path, "could not open: %m");
		return false;
	}
	/* room for one byte more than the file, so that one read tells its end */
	size = fstat(fd, &st) == 0 && st.st_size > 0 ?
		(size_t) st.st_size + 2 : 8192;
	data = pg_malloc(size);
	for (;;)
	{
		ssize_t		got = read (fd, data + len, size - len - 1);

		if (got < 0)
		{
			problem(set, path, "could not read: %m");
			close(fd);
			pg_free(data);
			return false;
		}
		len += got;
		if (got == 0 || (S_ISREG(st.st_mode) && len < size - 1))
			break;
		if (len == size - 1)
		{
			size *= 2;
			data = pg_realloc(data, size);
		}
	}
	close(fd);
	data[len] = '\0';

	nul = memchr(data, '\0', len);
	if (nul != NULL)
	{
		problem(set, path, "line %d holds a NUL byte: a migration file must be text",
				line_at(data, nul - data));
		pg_free(data);
		return false;
	}
	valid = pg_encoding_verifymbstr(PG_UTF8, data, (int) len);
	if ((size_t) valid < len)
	{
		problem(set, path, "is not valid UTF-8 (line %d, byte 0x%02x); convert it, e.g. with iconv -f LATIN1 -t UTF-8",
				line_at(data, valid), (unsigned char) data[valid]);
		pg_free(data);
		return false;
	}

	/* a byte order mark is no part of the script */
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
	{
		memmove(data, data + 3, len - 2);
		len -= 3;
	}
	result->data = data;
	result->len = len;
	return true;
}

char *
path_join(const char *dir, const char *name)
{
	return psprintf("%s/%s", dir, name);
}

static int
compare_entries(const void *a, const void *b)
{
	return strcmp(((const DirEntry *) a)->name, ((const DirEntry *) b)->name);
}

/*
 * list_directory: the names in dir, in byte order, without "." and ".." and
 * without hidden ones (".gitkeep", an editor's ".x.sql.swp"); NULL if dir
 * cannot be read (errno set).  The type comes from readdir() where the file
 * system tells it, so that a directory of 10,000 files needs no stat() each.
 */
DirEntry *
list_directory(const char *dir, int *n)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	DirEntry   *entries;
	int			size = 64;
	int			count = 0;

	if (d == NULL)
		return NULL;
	entries = pg_malloc(sizeof(DirEntry) * size);
	errno = 0;
	while ((de = readdir(d)) != NULL)
	{
		DirEntry   *e;

		if (de->d_name[0] == '.')
			continue;
		if (count + 1 >= size)
		{
			size *= 2;
			entries = pg_realloc(entries, sizeof(DirEntry) * size);
		}
		e = &entries[count++];
		e->name = pg_strdup(de->d_name);
#ifdef DT_DIR
		if (de->d_type == DT_DIR)
			e->dir = true;
		else if (de->d_type == DT_REG)
			e->dir = false;
		else
#endif
		{
			char	   *path = path_join(dir, de->d_name);

			e->dir = is_directory(path);
			pg_free(path);
		}
		errno = 0;
	}
	if (errno != 0)
	{
		int			save = errno;

		closedir(d);
		errno = save;
		return NULL;
	}
	closedir(d);
	qsort(entries, count, sizeof(DirEntry), compare_entries);
	entries[count].name = NULL;
	*n = count;
	return entries;
}

bool
is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool
is_regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool
has_suffix(const char *s, const char *suffix)
{
	size_t		n = strlen(s);
	size_t		m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}
