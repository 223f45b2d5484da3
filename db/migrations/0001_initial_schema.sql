-- Initial schema: accounts, sessions, contacts with stable ids, group members, messages with a trigram FTS5 index, events, dispatch queue, kv, and views for sqlite3 users.

-- Times are INTEGER unix milliseconds (UTC) everywhere; the views render them in local time.

CREATE TABLE accounts (
    name           TEXT PRIMARY KEY,               -- configured account name ([[account]] name)
    uin            INTEGER NOT NULL DEFAULT 0,     -- WeChat Uin of the logged-in account, 0 until known
    self_id        TEXT NOT NULL DEFAULT '',       -- stable id of self: 'u' || uin
    self_user_name TEXT NOT NULL DEFAULT '',       -- self's UserName in the current login
    login_gen      INTEGER NOT NULL DEFAULT 0,     -- login generation: +1 whenever self's UserName changes (QR or push login)
    person_seq     INTEGER NOT NULL DEFAULT 0,     -- last N handed out as c<N>
    group_seq      INTEGER NOT NULL DEFAULT 0,     -- last N handed out as g<N>
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    account  TEXT PRIMARY KEY,
    uin      INTEGER NOT NULL DEFAULT 0,
    host     TEXT NOT NULL DEFAULT '',
    sync_key TEXT NOT NULL DEFAULT '',             -- SyncKey as Key_Val|Key_Val, for people reading the file
    data     TEXT NOT NULL,                        -- the wx.Session as JSON (cookies with domain, path, expiry)
    saved_at INTEGER NOT NULL
) STRICT;

CREATE TABLE contacts (
    account      TEXT NOT NULL,
    id           TEXT NOT NULL,                    -- stable id: u<uin>, c<N>, g<N>, or the special name
    kind         TEXT NOT NULL CHECK (kind IN ('self', 'person', 'official', 'special', 'group')),
    user_name    TEXT NOT NULL DEFAULT '',         -- latest UserName (valid only while login_gen is current)
    login_gen    INTEGER NOT NULL DEFAULT 0,       -- generation user_name belongs to
    raw_id       TEXT NOT NULL DEFAULT '',         -- wxid_…, gh_…, …@chatroom when the protocol revealed it
    uin          INTEGER NOT NULL DEFAULT 0,
    nickname     TEXT NOT NULL DEFAULT '',
    remark       TEXT NOT NULL DEFAULT '',
    alias        TEXT NOT NULL DEFAULT '',
    sex          INTEGER NOT NULL DEFAULT 0,       -- 0 unknown, 1 male, 2 female
    province     TEXT NOT NULL DEFAULT '',
    city         TEXT NOT NULL DEFAULT '',
    signature    TEXT NOT NULL DEFAULT '',
    is_friend    INTEGER NOT NULL DEFAULT 0,
    verify_flag  INTEGER NOT NULL DEFAULT 0,
    contact_flag INTEGER NOT NULL DEFAULT 0,
    member_count INTEGER NOT NULL DEFAULT 0,       -- groups
    is_owner     INTEGER NOT NULL DEFAULT 0,       -- groups: self owns it
    first_seen   INTEGER NOT NULL,
    last_seen    INTEGER NOT NULL,
    removed_at   INTEGER,                          -- deleted / left, until seen again
    PRIMARY KEY (account, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX contacts_nickname ON contacts (account, nickname);
CREATE INDEX contacts_remark ON contacts (account, remark) WHERE remark <> '';
CREATE INDEX contacts_alias ON contacts (account, alias) WHERE alias <> '';
CREATE INDEX contacts_raw_id ON contacts (account, raw_id) WHERE raw_id <> '';

CREATE TABLE user_names (
    account    TEXT NOT NULL,
    user_name  TEXT NOT NULL,                      -- per-login wire name (@…, @@…)
    contact_id TEXT NOT NULL,
    login_gen  INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL,
    PRIMARY KEY (account, user_name),
    FOREIGN KEY (account, contact_id) REFERENCES contacts (account, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX user_names_contact ON user_names (account, contact_id);

CREATE TABLE group_members (
    account      TEXT NOT NULL,
    group_id     TEXT NOT NULL,
    member_id    TEXT NOT NULL,
    nickname     TEXT NOT NULL DEFAULT '',
    display_name TEXT NOT NULL DEFAULT '',         -- the name shown in this group, '' if unset
    joined_at    INTEGER NOT NULL,                 -- first seen in the group (or rejoined)
    left_at      INTEGER,                          -- NULL while a member
    PRIMARY KEY (account, group_id, member_id),
    FOREIGN KEY (account, group_id) REFERENCES contacts (account, id),
    FOREIGN KEY (account, member_id) REFERENCES contacts (account, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_nickname ON group_members (account, nickname);
CREATE INDEX group_members_member ON group_members (account, member_id);

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,              -- row id; also the FTS rowid and the `log tail` cursor
    account      TEXT NOT NULL,
    msg_id       TEXT NOT NULL,                    -- MsgId (a string: exceeds 2^53)
    new_msg_id   TEXT NOT NULL DEFAULT '',
    chat_id      TEXT,                             -- stable id of the conversation
    sender_id    TEXT,                             -- stable id of the writer; NULL for notices without one
    direction    TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    origin       TEXT NOT NULL CHECK (origin IN ('received', 'phone', 'bot')),
    kind         TEXT NOT NULL,
    msg_type     INTEGER NOT NULL DEFAULT 0,
    text         TEXT NOT NULL DEFAULT '',
    path         TEXT NOT NULL DEFAULT '',         -- local file we sent (image, file, video)
    created_at   INTEGER NOT NULL,                 -- server time (CreateTime)
    logged_at    INTEGER NOT NULL,
    recall_of    INTEGER REFERENCES messages (id) ON DELETE SET NULL, -- recall notices: the recalled message
    detail       TEXT,                             -- kind-specific fields as JSON (url, file, amount, …)
    raw          TEXT,                             -- the AddMsgList entry as received (JSON); last: rarely read
    UNIQUE (account, msg_id),
    FOREIGN KEY (account, chat_id) REFERENCES contacts (account, id),
    FOREIGN KEY (account, sender_id) REFERENCES contacts (account, id)
) STRICT;
CREATE INDEX messages_chat ON messages (chat_id, id);                -- a chat, newest first
CREATE INDEX messages_created ON messages (created_at);
CREATE INDEX messages_recall_of ON messages (recall_of) WHERE recall_of IS NOT NULL;

-- External-content FTS5 index over messages.text. The trigram tokenizer matches any substring of
-- three or more characters, which is what Chinese (no spaces) needs; columnsize=0 because we never
-- rank by bm25.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'trigram',
    columnsize = 0
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.text <> '' BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.text <> '' BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update_old AFTER UPDATE OF text ON messages
WHEN old.text <> '' AND old.text IS NOT new.text BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER messages_fts_update_new AFTER UPDATE OF text ON messages
WHEN new.text <> '' AND old.text IS NOT new.text BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
END;

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    account     TEXT NOT NULL,
    type        TEXT NOT NULL,                     -- see docs/SCHEMA.md for the list
    chat_id     TEXT,                              -- the group or chat concerned
    actor_id    TEXT,                              -- who: sender, member or contact
    message_id  INTEGER REFERENCES messages (id) ON DELETE SET NULL,  -- the message that carried it
    original_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,  -- recalls: the recalled message
    text        TEXT NOT NULL DEFAULT '',          -- a human summary
    detail      TEXT,                              -- the event's fields as JSON
    created_at  INTEGER NOT NULL,
    FOREIGN KEY (account, chat_id) REFERENCES contacts (account, id),
    FOREIGN KEY (account, actor_id) REFERENCES contacts (account, id)
) STRICT;
CREATE INDEX events_type ON events (account, type, created_at);
CREATE INDEX events_created ON events (created_at);
CREATE INDEX events_message ON events (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX events_original ON events (original_id) WHERE original_id IS NOT NULL;

CREATE TABLE dispatch_queue (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- queue position, never reused
    account      TEXT NOT NULL,
    type         TEXT NOT NULL CHECK (type IN ('message', 'member', 'contact', 'login', 'logout')),
    payload      TEXT NOT NULL,                    -- the wx event as JSON
    event_time   INTEGER NOT NULL,
    committed_at INTEGER NOT NULL
) STRICT;
CREATE INDEX dispatch_queue_account ON dispatch_queue (account, seq);

CREATE TABLE kv (
    account    TEXT NOT NULL,
    script     TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,                      -- JSON text
    expires_at INTEGER,                            -- NULL: never
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account, script, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX kv_expires ON kv (expires_at) WHERE expires_at IS NOT NULL;

-- Views for people who open the file with sqlite3. Names: remark, else the group display name,
-- else the nickname, else the stable id.

CREATE VIEW chat_log AS
SELECT datetime(m.created_at / 1000, 'unixepoch', 'localtime') AS time,
       m.account,
       COALESCE(NULLIF(c.remark, ''), NULLIF(c.nickname, ''), m.chat_id) AS chat,
       COALESCE(NULLIF(s.remark, ''), NULLIF(gm.display_name, ''), NULLIF(s.nickname, ''), m.sender_id) AS sender,
       m.direction,
       m.kind,
       m.text,
       m.origin,
       m.chat_id,
       m.sender_id,
       m.msg_id,
       m.id
FROM messages m
LEFT JOIN contacts c ON c.account = m.account AND c.id = m.chat_id
LEFT JOIN contacts s ON s.account = m.account AND s.id = m.sender_id
LEFT JOIN group_members gm ON gm.account = m.account AND gm.group_id = m.chat_id AND gm.member_id = m.sender_id;

CREATE VIEW recalls AS
SELECT datetime(r.created_at / 1000, 'unixepoch', 'localtime') AS time,
       r.account,
       COALESCE(NULLIF(c.remark, ''), NULLIF(c.nickname, ''), r.chat_id) AS chat,
       COALESCE(NULLIF(s.remark, ''), NULLIF(gm.display_name, ''), NULLIF(s.nickname, ''), o.sender_id, r.sender_id) AS sender,
       o.text AS original_text,
       o.kind AS original_kind,
       datetime(o.created_at / 1000, 'unixepoch', 'localtime') AS original_time,
       r.text AS notice,
       r.chat_id,
       o.msg_id AS original_msg_id
FROM messages r
LEFT JOIN messages o ON o.id = r.recall_of
LEFT JOIN contacts c ON c.account = r.account AND c.id = r.chat_id
LEFT JOIN contacts s ON s.account = r.account AND s.id = COALESCE(o.sender_id, r.sender_id)
LEFT JOIN group_members gm ON gm.account = r.account AND gm.group_id = r.chat_id AND gm.member_id = COALESCE(o.sender_id, r.sender_id)
WHERE r.kind = 'recall';

CREATE VIEW redpackets AS
SELECT datetime(m.created_at / 1000, 'unixepoch', 'localtime') AS time,
       m.account,
       COALESCE(NULLIF(c.remark, ''), NULLIF(c.nickname, ''), m.chat_id) AS chat,
       COALESCE(NULLIF(s.remark, ''), NULLIF(s.nickname, ''), m.sender_id) AS sender,
       m.kind,
       m.text,
       json_extract(m.detail, '$.amount') AS amount,
       m.chat_id,
       m.msg_id
FROM messages m
LEFT JOIN contacts c ON c.account = m.account AND c.id = m.chat_id
LEFT JOIN contacts s ON s.account = m.account AND s.id = m.sender_id
WHERE m.kind IN ('redpacket', 'transfer');

CREATE VIEW group_changes AS
SELECT datetime(e.created_at / 1000, 'unixepoch', 'localtime') AS time,
       e.account,
       COALESCE(NULLIF(g.remark, ''), NULLIF(g.nickname, ''), e.chat_id) AS "group",
       e.type AS change,
       COALESCE(NULLIF(p.remark, ''), NULLIF(p.nickname, ''), e.actor_id) AS member,
       e.text,
       e.chat_id AS group_id,
       e.actor_id AS member_id
FROM events e
LEFT JOIN contacts g ON g.account = e.account AND g.id = e.chat_id
LEFT JOIN contacts p ON p.account = e.account AND p.id = e.actor_id
WHERE e.type IN ('join', 'leave', 'rename', 'member_joined', 'member_left', 'member_display_name', 'group_renamed');
