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
  {
    id: '003_alert_incidents',
    sql: `
      -- Every alert event received, once per source event: the dedupe record (PagerDuty retries for 48 h, so
      -- Redis job ids are not enough) and the audit of what arrived. The web process answers 2xx only after the
      -- row exists and queued_at is set.
      create table alert_events (
        id            text primary key,
        source        text not null,
        external_id   text not null,
        event_type    text not null,
        occurred_at   timestamptz not null,
        received_at   timestamptz not null default now(),
        delivery_id   text,
        event         jsonb not null,
        queued_at     timestamptz,
        processed_at  timestamptz,
        incident_id   text,
        outcome       text
      );
      create index alert_events_incident on alert_events (incident_id, occurred_at);
      -- Events of one incident are applied in the order they were received.
      create index alert_events_unprocessed on alert_events (source, external_id, received_at)
        where processed_at is null;

      -- One row per incident of a source, with the state its newest snapshot described and where it was routed.
      create table incidents (
        id               text primary key,
        source           text not null,
        external_id      text not null,
        status           text not null check (status in ('triggered','acknowledged','resolved')),
        title            text not null,
        number           integer,
        priority         text,
        urgency          text,
        service          text,
        assignees        jsonb not null default '[]'::jsonb,
        url              text,
        acknowledged_by  text,
        resolved_by      text,
        started_at       timestamptz not null,
        resolved_at      timestamptz,
        -- occurred_at of the newest snapshot applied; an older one arriving late is ignored.
        snapshot_at      timestamptz,
        route            text not null check (route in ('rule','default','unrouted')),
        rule_index       integer,
        system           text,
        target           text,
        workflows        jsonb not null default '[]'::jsonb,
        channel          text,
        labels           jsonb not null default '{}'::jsonb,
        -- Bumped when diagnostics should run (opened, reopened); each thread remembers what it started.
        diagnostics_generation integer not null default 0,
        version          integer not null default 1,
        first_seen_at    timestamptz not null default now(),
        updated_at       timestamptz not null default now(),
        unique (source, external_id)
      );
      create index incidents_first_seen on incidents (first_seen_at desc);

      -- Where an incident lives in chat: one thread per platform, anchored on its root message.
      create table incident_threads (
        incident_id       text not null references incidents (id),
        platform          text not null,
        channel_id        text not null,
        root_message_id   text,
        -- Roots that were deleted from the channel and replaced.
        replaced_root_ids jsonb not null default '[]'::jsonb,
        rendered_hash     text,
        diagnostics_generation integer not null default 0,
        -- Storm control: recorded, counted in the window's summary, no thread of its own.
        suppressed        boolean not null default false,
        storm_window      timestamptz,
        created_at        timestamptz not null default now(),
        primary key (incident_id, platform)
      );
      create index incident_threads_storm on incident_threads (platform, channel_id, storm_window) where suppressed;

      -- The one-line notes of a thread, one per change; chat_posts remembers which were posted where.
      create table incident_notes (
        id           bigserial primary key,
        incident_id  text not null references incidents (id),
        event_id     text unique,
        status       text not null,
        text         text not null,
        occurred_at  timestamptz not null,
        created_at   timestamptz not null default now()
      );
      create index incident_notes_incident on incident_notes (incident_id, occurred_at, id);

      -- New threads per channel per storm window, and the window's summary message.
      create table storm_windows (
        platform      text not null,
        channel_id    text not null,
        window_start  timestamptz not null,
        window_ms     integer not null,
        threads       integer not null default 0,
        suppressed    integer not null default 0,
        message_id    text,
        rendered_hash text,
        primary key (platform, channel_id, window_start)
      );
    `,
  },
  {
    id: '004_teams',
    sql: `
      -- Microsoft Teams conversation references, saved from every inbound activity and from installs
      -- (conversationUpdate): where the worker posts, so proactive messages keep working after restarts. Job data
      -- carries only the key (the conversation id, or its digest when longer than 200 characters).
      create table teams_conversations (
        key                text primary key,
        conversation_id    text not null,
        service_url        text not null,
        tenant_id          text,
        conversation_type  text,
        team_id            text,
        bot_id             text not null,
        bot_name           text,
        updated_at         timestamptz not null default now()
      );

      -- Teams users as last seen (Entra object id -> Teams id and display name): mentions in replies, names on cards.
      create table teams_users (
        aad_object_id  text primary key,
        teams_user_id  text not null,
        name           text,
        tenant_id      text,
        updated_at     timestamptz not null default now()
      );

      -- The Adaptive Card last posted as each bot message: the answer to an Action.Execute invoke on it.
      create table teams_cards (
        conversation_key  text not null,
        activity_id       text not null,
        card              jsonb not null,
        updated_at        timestamptz not null default now(),
        primary key (conversation_key, activity_id)
      );
      create index teams_cards_updated_at on teams_cards (updated_at);
    `,
  },
  {
    id: '005_approval_card_binding',
    sql: `
      -- Where an approval's card was posted (platform and channel, next to card_message_id), recorded when it is
      -- posted: a decision counts only when it comes from that card (issue 11: an approval id is not a bearer
      -- token). Rows from before this migration fall back to their conversation's platform and channel.
      alter table approvals add column card_platform text, add column card_channel_id text;
    `,
  },
  {
    id: '006_incident_actions',
    sql: `
      -- Who a chat user is elsewhere (issue 12): the email their platform profile names and the PagerDuty user with
      -- that exact email, refreshed after a while. Never matched on display names. Pins from the config
      -- (identities:) win over this cache and are not stored here.
      create table identities (
        principal          text primary key,
        email              text,
        pagerduty_user_id  text,
        pagerduty_email    text,
        pagerduty_name     text,
        resolved_at        timestamptz not null default now()
      );

      -- Every action taken from an incident thread (acknowledge, resolve, escalate, reassign, note, silence,
      -- unsilence): the dedupe record (one request per click, one pending action per incident), the echo record
      -- (the PagerDuty webhook that follows our own write) and the audit trail.
      create table incident_actions (
        id                 text primary key,
        incident_id        text not null references incidents (id),
        action             text not null,
        actor              text not null,
        actor_name         text,
        platform           text not null,
        state              text not null check (state in ('pending','succeeded','failed','refused')),
        detail             text,
        pagerduty_user_id  text,
        expect_status      text,
        echo_until         timestamptz,
        echoed_at          timestamptz,
        created_at         timestamptz not null default now(),
        finished_at        timestamptz
      );
      create unique index incident_actions_one_pending on incident_actions (incident_id) where state = 'pending';
      create index incident_actions_created on incident_actions (created_at desc);

      -- A note typed in chat, stored by the web process when it arrives (chat text never goes into job data).
      create table incident_note_drafts (
        id           text primary key,
        incident_id  text not null references incidents (id),
        text         text not null,
        created_at   timestamptz not null default now()
      );

      -- Alertmanager silences the bot created, with the incident they belong to.
      create table incident_silences (
        id             text primary key,
        incident_id    text not null references incidents (id),
        state          text not null check (state in ('draft','awaiting-approval','active','expired','failed')),
        matchers       jsonb not null,
        duration_ms    bigint not null,
        silence_id     text,
        created_by     text not null,
        created_by_name text,
        platform       text not null,
        ends_at        timestamptz,
        reminded_at    timestamptz,
        created_at     timestamptz not null default now()
      );
      create index incident_silences_active on incident_silences (state, ends_at);
    `,
  },
  {
    id: '007_approval_quorum',
    sql: `
      -- Approvals that need N distinct approvers (approvals.quorum): one row per approver of a request. The step runs
      -- on the Nth, through the same conditional pending -> approved update as a single approval (exactly once).
      create table approval_votes (
        approval_id  text not null references approvals (id),
        approver     text not null,
        at           timestamptz not null,
        primary key (approval_id, approver)
      );
    `,
  },
  {
    id: '008_retention',
    sql: `
      -- The daily prune (retention:) deletes old rows in small batches by age: these indexes let each batch find its
      -- rows without scanning the table, and let the "still referenced?" checks use an index.
      create index reports_created_at on reports (created_at);
      create index chat_posts_posted_at on chat_posts (posted_at);
      create index action_offers_created_at on action_offers (created_at);
      create index action_offers_invocation on action_offers (invocation_id);
      create index approvals_offer on approvals (offer_id);
      create index alert_events_received_at on alert_events (received_at);
      create index incidents_resolved_at on incidents (resolved_at) where status = 'resolved';
      create index incident_threads_root on incident_threads (root_message_id);
      create index incident_silences_incident on incident_silences (incident_id);
      create index incident_actions_incident on incident_actions (incident_id);
      create index incident_note_drafts_incident on incident_note_drafts (incident_id);
      create index storm_windows_start on storm_windows (window_start);
      create index identities_resolved_at on identities (resolved_at);

      -- Rows pruned so far, per table: the counter behind runbook_bot_retention_rows_pruned_total, kept here so
      -- that /metrics counts what every worker process pruned, across restarts.
      create table retention_pruned (
        table_name   text primary key,
        rows         bigint not null default 0,
        last_run_at  timestamptz not null default now()
      );
    `,
  },
  {
    id: '009_finding_history',
    sql: `
      -- Finding history (issue 14): one row per run (by hand or scheduled) with its findings, so a schedule's digest
      -- can say what changed since that schedule's previous run and a weekly check can compare a value with last week.
      create table finding_runs (
        run_id     text primary key,
        system     text not null,
        target     text not null,
        workflow   text not null,
        schedule   text,
        at         timestamptz not null,
        verdict    text not null,
        -- [{ "code", "severity", "title", "value" }] of every finding of the run
        findings   jsonb not null
      );
      create index finding_runs_schedule_at on finding_runs (schedule, at desc) where schedule is not null;
      create index finding_runs_target_at on finding_runs (system, target, at desc);
      create index finding_runs_at on finding_runs (at);

      -- The latest state of each finding per target: since when it holds (first_seen, reset when it clears or turns
      -- from ok to not ok and back), when it was last seen, and the run that saw it. cleared_at is set when a run of
      -- the same workflow no longer reports it.
      create table finding_history (
        system       text not null,
        target       text not null,
        code         text not null,
        workflow     text not null,
        severity     text not null,
        title        text not null,
        value        double precision,
        first_seen   timestamptz not null,
        last_seen    timestamptz not null,
        last_run_id  text not null,
        cleared_at   timestamptz,
        primary key (system, target, code)
      );
      create index finding_history_last_seen on finding_history (last_seen);
    `,
  },
  {
    id: '010_escalations',
    sql: `
      -- Pages sent through the PagerDuty Events API v2 (issue 14): one row per (system, target, finding code), claimed
      -- by a conditional INSERT/UPDATE before any event is sent, so two workers (or a restart) never send two triggers
      -- for one streak of a condition. triggering/resolving: claimed, outcome not yet recorded (after a crash: unknown,
      -- re-checked at the next run once the claim is stale); open: PagerDuty answered 202; resolved: resolve sent;
      -- rejected: PagerDuty answered 400 (never retried for that streak).
      create table escalations (
        system        text not null,
        target        text not null,
        code          text not null,
        state         text not null check (state in ('triggering', 'open', 'resolving', 'resolved', 'rejected')),
        dedup_key     text not null,
        -- the first_seen of the streak that was paged: a later streak may page again, this one never twice
        streak_since  timestamptz not null,
        level         text not null,
        summary       text not null,
        workflow      text not null,
        -- who asked: 'auto' (a run) or the principal who pressed Page on-call
        requested_by  text not null,
        opened_at     timestamptz,
        resolved_at   timestamptz,
        claimed_at    timestamptz,
        claimed_by    text,
        last_error    text,
        updated_at    timestamptz not null,
        primary key (system, target, code)
      );
      create index escalations_state on escalations (state) where state <> 'resolved';
    `,
  },
  {
    id: '011_incident_action_recovery',
    sql: `
      -- Incident actions across worker crashes: sent_at is set just before the PagerDuty write (a pending row with it
      -- may have landed: a retry re-checks PagerDuty instead of repeating it), sends counts the writes sent (one
      -- retry at most), and an escalation records the level it starts from and goes to (escalate from N to N+1).
      alter table incident_actions
        add column sent_at timestamptz,
        add column sends integer not null default 0,
        add column escalate_from integer,
        add column escalate_to integer;

      -- A silence being created: claimed (creating, with when) before the POST to Alertmanager; a retry looks for the
      -- silence by the record id in its comment before creating one.
      alter table incident_silences drop constraint incident_silences_state_check;
      alter table incident_silences add constraint incident_silences_state_check
        check (state in ('draft','awaiting-approval','creating','active','expired','failed'));
      alter table incident_silences add column creating_at timestamptz;
    `,
  },
  {
    id: '012_finding_duration_since',
    sql: `
      -- Since when a finding has carried its runbook duration at every run (issue 14): the duration's own streak, which
      -- first_seen is not (the same code at a milder condition, with no duration, keeps first_seen). Null when the
      -- last run's finding carried none.
      alter table finding_history add column duration_since timestamptz;
    `,
  },
  {
    id: '013_escalation_from_probe',
    sql: `
      -- Whether a page was set off by a probe that got no answer ("server down"): only such a page clears when its
      -- finding is absent from a run whose probes all answered. A rule's finding that is absent was not decided (the
      -- rule had no data), which clears nothing.
      alter table escalations add column from_probe boolean not null default false;
    `,
  },
];
