//! The tables, created or migrated on start: each component (refresh families, API keys)
//! has an ordered list of steps; `auth_schema` records how many ran. Instances starting at
//! once take turns (an advisory lock), so each step runs once.

use crate::PgError;

/// Refresh-token families and their tokens (hashes only), and the rotation function: the
/// rule of `RefreshRecord::reuse_allowed` and `RefreshRecord::rotated` in one call, the
/// family row locked so that rotations of one family take turns.
pub(crate) const REFRESH: &[&str] = &[r"
CREATE TABLE auth_refresh_families (
    id text PRIMARY KEY,
    subject text NOT NULL,
    grant_json jsonb NOT NULL,
    meta jsonb NOT NULL,
    newest bigint NOT NULL,
    last_used bigint NOT NULL DEFAULT 0,
    token_expires bigint NOT NULL,
    session_expires bigint NOT NULL
);
CREATE INDEX auth_refresh_families_subject ON auth_refresh_families (subject);
CREATE INDEX auth_refresh_families_end ON auth_refresh_families (LEAST(token_expires, session_expires));
CREATE TABLE auth_refresh_tokens (
    hash bytea PRIMARY KEY,
    family text NOT NULL REFERENCES auth_refresh_families (id) ON DELETE CASCADE,
    generation bigint NOT NULL,
    expires bigint NOT NULL,
    used_at bigint
);
CREATE INDEX auth_refresh_tokens_family ON auth_refresh_tokens (family);
CREATE INDEX auth_refresh_tokens_expires ON auth_refresh_tokens (expires);
CREATE FUNCTION auth_rotate(p_old bytea, p_new bytea, p_now bigint, p_expires bigint, p_grace bigint)
RETURNS TABLE (status text, family text, generation bigint, expires bigint,
               session_expires bigint, grant_json jsonb, meta jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    t auth_refresh_tokens%ROWTYPE;
    f auth_refresh_families%ROWTYPE;
    v_expires bigint;
BEGIN
    SELECT * INTO t FROM auth_refresh_tokens WHERE hash = p_old;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'unknown', NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::jsonb, NULL::jsonb;
        RETURN;
    END IF;
    SELECT * INTO f FROM auth_refresh_families WHERE id = t.family FOR UPDATE;
    -- Under the family's lock, read the token again: a rotation that went first is seen.
    SELECT * INTO t FROM auth_refresh_tokens WHERE hash = p_old;
    IF f.id IS NULL OR t.hash IS NULL THEN
        RETURN QUERY SELECT 'unknown', NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::jsonb, NULL::jsonb;
        RETURN;
    END IF;
    IF t.used_at IS NOT NULL AND NOT (p_grace > 0 AND p_now < t.used_at + p_grace
                                      AND t.generation + 1 = f.newest) THEN
        DELETE FROM auth_refresh_families WHERE id = f.id;
        RETURN QUERY SELECT 'reused', NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::jsonb, NULL::jsonb;
        RETURN;
    END IF;
    IF t.expires <= p_now OR f.session_expires <= p_now THEN
        RETURN QUERY SELECT 'expired', NULL::text, NULL::bigint, NULL::bigint, NULL::bigint, NULL::jsonb, NULL::jsonb;
        RETURN;
    END IF;
    v_expires := LEAST(p_expires, f.session_expires);
    IF t.used_at IS NULL THEN
        UPDATE auth_refresh_tokens SET used_at = p_now WHERE hash = p_old;
    END IF;
    INSERT INTO auth_refresh_tokens (hash, family, generation, expires)
        VALUES (p_new, f.id, t.generation + 1, v_expires);
    UPDATE auth_refresh_families
        SET newest = GREATEST(auth_refresh_families.newest, t.generation + 1),
            token_expires = GREATEST(auth_refresh_families.token_expires, v_expires),
            last_used = p_now
        WHERE id = f.id;
    RETURN QUERY SELECT 'ok', f.id, t.generation + 1, v_expires, f.session_expires, f.grant_json, f.meta;
END
$$;
"];

/// API keys (hashes and metadata, never a key), and a trigger that tells every listening
/// instance when they change (`NOTIFY auth_api_keys`); last-used writes do not notify.
pub(crate) const KEYS: &[&str] = &[r"
CREATE TABLE auth_api_keys (
    id text PRIMARY KEY,
    name text NOT NULL,
    prefix text NOT NULL,
    start text NOT NULL,
    hash text NOT NULL UNIQUE,
    scopes text[] NOT NULL,
    created bigint NOT NULL,
    expires bigint,
    revoked bigint,
    last_used bigint
);
CREATE FUNCTION auth_api_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('auth_api_keys', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER auth_api_keys_changed
    AFTER INSERT OR DELETE OR UPDATE OF name, prefix, start, hash, scopes, expires, revoked
    ON auth_api_keys FOR EACH STATEMENT EXECUTE FUNCTION auth_api_keys_changed();
"];

/// Bring `component`'s tables to the newest version, each step once.
pub(crate) async fn migrate(
    pool: &deadpool_postgres::Pool,
    component: &'static str,
    steps: &[&str],
) -> Result<(), PgError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    // One lock for every instance of every app on this database: migrations take turns.
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(7270001);
         CREATE TABLE IF NOT EXISTS auth_schema (component text PRIMARY KEY, version integer NOT NULL);",
    )
    .await?;
    let found: i32 = match tx
        .query_opt(
            "SELECT version FROM auth_schema WHERE component = $1",
            &[&component],
        )
        .await?
    {
        Some(row) => row.try_get(0)?,
        None => 0,
    };
    let known = i32::try_from(steps.len()).unwrap_or(i32::MAX);
    if found > known {
        return Err(PgError::SchemaTooNew {
            component,
            found,
            known,
        });
    }
    for step in steps.iter().skip(usize::try_from(found).unwrap_or(0)) {
        tx.batch_execute(step).await?;
    }
    tx.execute(
        "INSERT INTO auth_schema (component, version) VALUES ($1, $2)
         ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
        &[&component, &known],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
