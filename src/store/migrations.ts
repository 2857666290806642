/**
 * Postgres migrations, in order. Each runs once, inside a transaction, recorded in `schema_migrations`. Never edit
 * a migration that has shipped: add a new one.
 */
export const MIGRATIONS: readonly { readonly id: string; readonly sql: string }[] = [
  {
    id: '001_invocations',
    sql: `
      create table invocations (
        id            text primary key,
        platform      text not null,
        team_id       text,
        channel_id    text not null,
        user_id       text not null,
        system        text not null,
        workflow      text not null,
        target        text,
        args          jsonb not null default '{}'::jsonb,
        status        text not null check (status in ('queued','running','succeeded','failed','rejected')),
        verdict       text,
        summary       text,
        error_code    text,
        requested_at  timestamptz not null,
        started_at    timestamptz,
        finished_at   timestamptz
      );
      create index invocations_requested_at on invocations (requested_at desc);

      -- One row per chat message the bot posted for a logical post id, so that a retried post job does not post
      -- the same report twice.
      create table chat_posts (
        post_id     text primary key,
        platform    text not null,
        channel_id  text not null,
        message_id  text not null,
        thread_id   text,
        posted_at   timestamptz not null default now()
      );

      -- What each diagnostic found, kept for the audit trail and for posting (job data carries only the id).
      create table reports (
        invocation_id text primary key references invocations (id),
        report        jsonb not null,
        created_at    timestamptz not null default now()
      );
    `,
  },
  {
    id: '002_approvals',
    sql: `
      -- A fix offered on a posted report: the button carries only this id.
      create table action_offers (
        id               text primary key,
        invocation_id    text not null references invocations (id),
        system           text not null,
        target           text not null,
        remediation      text not null,
        params           jsonb not null,
        finding_code     text,
        finding_title    text,
        finding_evidence text,
        created_at       timestamptz not null default now()
      );

      -- The approval state machine: every transition is one conditional UPDATE (see src/approvals).
      create table approvals (
        id                 text primary key,
        offer_id           text references action_offers (id),
        invocation_id      text,
        system             text not null,
        target             text not null,
        remediation        text not null,
        params             jsonb not null,
        params_hash        text not null,
        level              text not null check (level in ('approval','confirm')),
        state              text not null check (state in ('pending','approved','denied','expired','executing',
                                                          'succeeded','failed','outcome-unknown','skipped')),
        requester          text not null,
        conversation       jsonb not null,
        finding_code       text,
        reason             text,
        requested_at       timestamptz not null,
        expires_at         timestamptz not null,
        decided_by         text,
        decided_at         timestamptz,
        started_at         timestamptz,
        finished_at        timestamptz,
        result             text,
        card_message_id    text
      );
      -- At most one open request per offered fix: a double click on the same button opens one request.
      create unique index approvals_one_open_per_offer on approvals (offer_id)
        where offer_id is not null and state in ('pending','approved','executing');
      create index approvals_state on approvals (state, expires_at);

      create table approval_events (
        id           bigserial primary key,
        approval_id  text not null references approvals (id),
        from_state   text,
        to_state     text not null,
        actor        text,
        detail       text,
        at           timestamptz not null
      );
      create index approval_events_approval on approval_events (approval_id, id);
    `,
  },
];
