-- description: add an optional display name to users
ALTER TABLE users ADD COLUMN display_name text;
