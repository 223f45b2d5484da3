package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"qunguan/cmd/qunguan/internal/logview"
	"qunguan/db"
	"qunguan/wx"
)

// Where `qunguan log` looks for a database when neither --db nor -c is given.
const (
	defaultConfigPath = "qunguan.toml"
	defaultDBPath     = "data/qunguan.db"
	demoDBPath        = "qunguan-demo.db"
)

// messageKinds are the values --kind accepts.
var messageKinds = []wx.Kind{
	wx.KindText, wx.KindImage, wx.KindVoice, wx.KindVideo, wx.KindEmoticon, wx.KindCard,
	wx.KindLocation, wx.KindLink, wx.KindFile, wx.KindMiniProgram, wx.KindHistory,
	wx.KindRedPacket, wx.KindTransfer, wx.KindRecall, wx.KindSystem, wx.KindJoin, wx.KindLeave,
	wx.KindRename, wx.KindFriendRequest, wx.KindOwnerActive, wx.KindUnknown,
}

// logFlags are the flags every `qunguan log` subcommand shares.
type logFlags struct {
	db, config             string
	account, chat, sender  string
	kind, since, until     string
	limit                  int
	json, csv              bool
	now                    func() time.Time // for relative --since/--until; tests may set it
	followInterval         time.Duration
	exportOut              string
	statsBy                string
	follow                 bool
	sinceTime, untilTime   time.Time
	resolvedKind           wx.Kind
	chatLabel, senderLabel string
}

// newLogCommand is `qunguan log search|tail|stats|export|recalls|redpackets`.
func newLogCommand() *cobra.Command {
	f := &logFlags{now: time.Now}
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Query the chat log: search, tail, stats, export, recalls, red packets",
		Long: `Read the chat log the bot keeps in SQLite. It is safe to run while the bot is running.

The database is --db PATH, else the "database" of the config (-c, default qunguan.toml when it
exists), else ./data/qunguan.db, else the demo's ./qunguan-demo.db.

Every subcommand takes the same filters:
  --chat, --sender  a name, remark or stable id (g1, c12 …); a name that fits several chats is
                    refused with the list of their stable ids
  --kind            text, image, redpacket, recall, … (see below)
  --since, --until  ` + logview.TimeHelp + `
  --account         only this configured account (needed only when names clash across accounts)

Output is an aligned table on a terminal; --json writes one JSON object per line and --csv
writes CSV with a header row, for scripts and spreadsheets.

Kinds: ` + kindList(),
		Example: `  qunguan log search 明早
  qunguan log search 营业时间 --chat 周末徒步群 --since 7d
  qunguan log tail -f
  qunguan log stats --by chat --since 2026-03-01
  qunguan log export --csv -o march.csv --since 2026-03-01 --until 2026-04-01
  qunguan log recalls --since yesterday
  qunguan log redpackets --json`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.db, "db", "", "database file (default: the config's database, else ./data/qunguan.db, else ./qunguan-demo.db)")
	pf.StringVarP(&f.config, "config", "c", defaultConfigPath, "config file whose database to read")
	pf.StringVar(&f.account, "account", "", "only this account (its [[account]] name)")
	pf.StringVar(&f.chat, "chat", "", "only this chat: group or friend name, remark or stable id")
	pf.StringVar(&f.sender, "sender", "", "only messages from this person: name, remark or stable id")
	pf.StringVar(&f.kind, "kind", "", "only this kind of message: text, image, redpacket, recall, …")
	pf.StringVar(&f.since, "since", "", "from this time on: 2026-03-01, '2026-03-01 09:00', RFC 3339, or 2h, 7d ago")
	pf.StringVar(&f.until, "until", "", "before this time (same forms as --since)")
	pf.IntVar(&f.limit, "limit", 0, "at most this many rows (default: 50; tail 20; stats and export all)")
	pf.BoolVar(&f.json, "json", false, "write JSON lines: one object per row, stable field names")
	pf.BoolVar(&f.csv, "csv", false, "write CSV (RFC 4180) with a header row")

	cmd.AddCommand(newLogSearchCommand(f), newLogTailCommand(f), newLogStatsCommand(f),
		newLogExportCommand(f), newLogRecallsCommand(f), newLogRedPacketsCommand(f))
	return cmd
}

func kindList() string {
	s := make([]string, len(messageKinds))
	for i, k := range messageKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func newLogSearchCommand(f *logFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "search QUERY",
		Short: "Find messages whose text contains QUERY, newest first",
		Long: `Find messages whose text contains QUERY, newest first (50 unless --limit).

QUERY is a literal piece of text: Chinese needs no spaces (明早 finds 明早几点出发), quotes,
*, AND and - mean nothing special, and English ignores case. An empty QUERY ("") lists the
messages that pass the filters.`,
		Example: `  qunguan log search 明早
  qunguan log search "在地铁站集合" --chat 周末徒步群
  qunguan log search 红包 --since 7d --json
  qunguan log search "" --sender 杰哥 --kind image`,
		Args: oneArg("search needs one QUERY (quote it when it has spaces)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			ms, err := s.store.Search(cmd.Context(), db.SearchQuery{Filter: s.filter, Text: args[0]})
			if err != nil {
				return err
			}
			p := logview.NewMessagePrinter(s.out, s.opts)
			for _, m := range ms {
				if err := p.Add(m); err != nil {
					return err
				}
			}
			if err := p.Flush(); err != nil {
				return err
			}
			s.summary(len(ms), s.limitOr(db.DefaultSearchLimit), "messages match", "newest")
			return nil
		},
	}
}

func newLogTailCommand(f *logFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Show the latest messages; -f follows the running bot until Ctrl-C",
		Long: `Show the latest messages, oldest first (20 unless --limit). With -f, keep watching the
database and print every new message the running bot logs, until Ctrl-C.`,
		Example: `  qunguan log tail
  qunguan log tail -f
  qunguan log tail -f --chat 周末徒步群 --kind text
  qunguan log tail -f --json | jq .text`,
		Args: noArgs("tail"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			return s.tail(cmd.Context(), f.follow, f.followInterval)
		},
	}
	cmd.Flags().BoolVarP(&f.follow, "follow", "f", false, "keep printing new messages until Ctrl-C")
	cmd.Flags().DurationVar(&f.followInterval, "interval", 500*time.Millisecond, "with -f: how often to look for new messages")
	return cmd
}

func newLogStatsCommand(f *logFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Count messages by day, chat, sender or kind",
		Long: `Count the messages that pass the filters, by local calendar day (in order) or by chat, sender
or kind (largest first), with the first and last message of each group.`,
		Example: `  qunguan log stats
  qunguan log stats --by chat --since 30d
  qunguan log stats --by sender --chat 周末徒步群 --limit 10
  qunguan log stats --by kind --csv`,
		Args: noArgs("stats"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			by := db.StatsBy(f.statsBy)
			switch by {
			case db.ByDay, db.ByChat, db.BySender, db.ByKind:
			default:
				return usageError{fmt.Sprintf("--by %q: use day, chat, sender or kind", f.statsBy)}
			}
			s, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			stats, err := s.store.Stats(cmd.Context(), s.filter, by)
			if err != nil {
				return err
			}
			p := logview.NewStatPrinter(s.out, s.opts, by)
			for _, st := range stats {
				if err := p.Add(st); err != nil {
					return err
				}
			}
			if err := p.Flush(); err != nil {
				return err
			}
			s.summary(len(stats), 0, "messages match", "")
			return nil
		},
	}
	cmd.Flags().StringVar(&f.statsBy, "by", string(db.ByDay), "group by day, chat, sender or kind")
	return cmd
}

func newLogExportCommand(f *logFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write every message that passes the filters as JSON lines or CSV",
		Long: `Write the messages that pass the filters, oldest first, as JSON lines (the default: every
field, the kind-specific detail and the message as received under "raw") or as CSV with
--csv, to stdout or to -o FILE. FILE appears only once the export is complete (and readable
by you alone: it is your chat log). On a terminal a progress line counts the messages.`,
		Example: `  qunguan log export -o all.jsonl
  qunguan log export --csv -o march.csv --since 2026-03-01 --until 2026-04-01
  qunguan log export --chat 周末徒步群 | gzip > hike.jsonl.gz`,
		Args: noArgs("export"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			return s.export(cmd.Context(), f.exportOut)
		},
	}
	cmd.Flags().StringVarP(&f.exportOut, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func newLogRecallsCommand(f *logFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "recalls",
		Short: "List recalled messages with what they said, newest first",
		Long: `List the messages people took back (撤回), newest first (50 unless --limit): when, in which
chat, who, and the original text when the log has it.`,
		Example: `  qunguan log recalls
  qunguan log recalls --chat 周末徒步群 --since 7d
  qunguan log recalls --json`,
		Args: noArgs("recalls"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.kind != "" {
				return usageError{"recalls are all of kind recall: drop --kind"}
			}
			s, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			rs, err := s.store.Recalls(cmd.Context(), s.filter)
			if err != nil {
				return err
			}
			p := logview.NewRecallPrinter(s.out, s.opts)
			for _, r := range rs {
				if err := p.Add(r); err != nil {
					return err
				}
			}
			if err := p.Flush(); err != nil {
				return err
			}
			s.summary(len(rs), s.limitOr(db.DefaultSearchLimit), "recalls match", "newest")
			return nil
		},
	}
}

func newLogRedPacketsCommand(f *logFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "redpackets",
		Short: "List red packet and group collection messages, newest first",
		Long: `List red packet (红包) and group collection messages, newest first (50 unless --limit). The web
protocol shows only that a red packet came, not its amount.`,
		Example: `  qunguan log redpackets
  qunguan log redpackets --chat 相亲相爱一家人 --since 2026-01-01
  qunguan log redpackets --csv > redpackets.csv`,
		Args: noArgs("redpackets"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.kind != "" {
				return usageError{"red packets are all of kind redpacket: drop --kind"}
			}
			s, err := f.open(cmd)
			if err != nil {
				return err
			}
			defer s.close()
			ms, err := s.store.RedPackets(cmd.Context(), s.filter)
			if err != nil {
				return err
			}
			p := logview.NewRedPacketPrinter(s.out, s.opts)
			for _, m := range ms {
				if err := p.Add(m); err != nil {
					return err
				}
			}
			if err := p.Flush(); err != nil {
				return err
			}
			s.summary(len(ms), s.limitOr(db.DefaultSearchLimit), "red packets match", "newest")
			return nil
		},
	}
}

func oneArg(msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageError{msg}
		}
		return nil
	}
}

func noArgs(name string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Sprintf("%s takes no arguments, got %q (filters are flags: --chat, --since …)", name, strings.Join(args, " "))}
		}
		return nil
	}
}

// logSession is an open database with the parsed filters and output settings.
type logSession struct {
	store       *db.DB
	filter      db.Filter
	opts        logview.Options
	out, errOut io.Writer
	table       bool
}

func (s *logSession) close() { s.store.Close() }

func (s *logSession) limitOr(def int) int {
	if s.filter.Limit > 0 {
		return min(s.filter.Limit, db.MaxSearchLimit)
	}
	return def
}

// summary tells a person at a table what the rows were: nothing matched, or the list was cut
// at the limit. JSON and CSV stay machine-clean.
func (s *logSession) summary(n, limit int, none, order string) {
	if !s.table {
		return
	}
	switch {
	case n == 0:
		fmt.Fprintf(s.errOut, "no %s\n", none)
	case limit > 0 && n >= limit:
		fmt.Fprintf(s.errOut, "(the %s %d shown: --limit N shows more)\n", order, n)
	}
}

// open checks the flags, finds and opens the database and resolves --chat and --sender.
func (f *logFlags) open(cmd *cobra.Command) (*logSession, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	errOut := cmd.ErrOrStderr()
	path, err := f.databasePath(cmd, errOut)
	if err != nil {
		return nil, err
	}
	store, err := db.Open(cmd.Context(), path, db.Options{Logger: newLogger(errOut, "warn", "text", debugFlag(cmd.Root()))})
	if err != nil {
		if errors.Is(err, db.ErrSchemaTooNew) {
			return nil, fmt.Errorf("%s was written by a newer qunguan: upgrade qunguan to read it", path)
		}
		return nil, fmt.Errorf("cannot open the database %s (is it a qunguan database?): %w", path, err)
	}
	s := &logSession{store: store, out: cmd.OutOrStdout(), errOut: errOut}
	s.filter, err = f.filter(cmd.Context(), store)
	if err != nil {
		store.Close()
		return nil, err
	}
	switch {
	case f.json:
		s.opts.Format = logview.FormatJSON
	case f.csv:
		s.opts.Format = logview.FormatCSV
	default:
		s.table = true
		s.opts.Color = colorEnabled(s.out)
		s.opts.Width = terminalWidth(s.out)
	}
	return s, nil
}

// check validates the flags that need no database.
func (f *logFlags) check() error {
	if f.json && f.csv {
		return usageError{"--json and --csv exclude each other: choose one"}
	}
	if f.limit < 0 {
		return usageError{fmt.Sprintf("--limit %d: use a positive number (0: the default)", f.limit)}
	}
	f.resolvedKind = ""
	if f.kind != "" {
		k := wx.Kind(strings.ToLower(strings.TrimSpace(f.kind)))
		if !slices.Contains(messageKinds, k) {
			return usageError{fmt.Sprintf("--kind %q is not a kind of message: use one of %s", f.kind, kindList())}
		}
		f.resolvedKind = k
	}
	now := f.now()
	var err error
	f.sinceTime, f.untilTime = time.Time{}, time.Time{}
	if f.since != "" {
		if f.sinceTime, err = logview.ParseTime(f.since, now, time.Local); err != nil {
			return usageError{"--since: " + err.Error()}
		}
	}
	if f.until != "" {
		if f.untilTime, err = logview.ParseTime(f.until, now, time.Local); err != nil {
			return usageError{"--until: " + err.Error()}
		}
	}
	if !f.sinceTime.IsZero() && !f.untilTime.IsZero() && !f.sinceTime.Before(f.untilTime) {
		return usageError{fmt.Sprintf("--since (%s) is not before --until (%s): nothing could match",
			f.sinceTime.Format("2006-01-02 15:04:05"), f.untilTime.Format("2006-01-02 15:04:05"))}
	}
	return nil
}

// databasePath finds the database file; it never creates one.
func (f *logFlags) databasePath(cmd *cobra.Command, errOut io.Writer) (string, error) {
	if f.db != "" {
		return f.db, requireFile(f.db, "--db "+f.db)
	}
	explicit := cmd.Flags().Lookup("config") != nil && cmd.Flags().Lookup("config").Changed
	if explicit || fileExists(f.config) {
		cfg, err := loadConfig(f.config)
		if err != nil {
			return "", err
		}
		if err := requireFile(cfg.Database, fmt.Sprintf("the database of %s (%s)", f.config, cfg.Database)); err != nil {
			return "", err
		}
		return cfg.Database, nil
	}
	if fileExists(defaultDBPath) {
		return defaultDBPath, nil
	}
	if fileExists(demoDBPath) {
		fmt.Fprintf(errOut, "qunguan: reading the demo's log ./%s (there is no %s or ./%s here; --db chooses a database)\n",
			demoDBPath, defaultConfigPath, defaultDBPath)
		return demoDBPath, nil
	}
	return "", fmt.Errorf("no database here: there is no %s, ./%s or ./%s; pass --db PATH or -c CONFIG, or run `qunguan demo` to make one",
		defaultConfigPath, defaultDBPath, demoDBPath)
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// requireFile is a clear error unless path is an existing file: opening a missing path would
// create an empty database.
func requireFile(path, what string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s does not exist: check the path, or start the bot (qunguan run) or the demo (qunguan demo) to create it", what)
	case err != nil:
		return fmt.Errorf("%s: %w", what, err)
	case st.IsDir():
		return fmt.Errorf("%s is a directory: give the database file inside it", what)
	}
	return nil
}

// filter builds the store filter, resolving --chat and --sender to stable ids.
func (f *logFlags) filter(ctx context.Context, store *db.DB) (db.Filter, error) {
	out := db.Filter{Account: f.account, Kind: f.resolvedKind, Since: f.sinceTime, Until: f.untilTime, Limit: f.limit}
	if f.account == "" && f.chat == "" && f.sender == "" {
		return out, nil
	}
	accounts, err := logAccounts(ctx, store)
	if err != nil {
		return out, err
	}
	if f.account != "" {
		if !slices.Contains(accounts, f.account) {
			have := "it has no accounts yet"
			if len(accounts) > 0 {
				have = "it has " + strings.Join(accounts, ", ")
			}
			return out, fmt.Errorf("--account %q: no such account in the log (%s)", f.account, have)
		}
		accounts = []string{f.account}
	}
	for _, r := range []struct {
		flag, name, statsBy string
		id                  *string
	}{
		{"--chat", f.chat, "chat", &out.ChatID},
		{"--sender", f.sender, "sender", &out.SenderID},
	} {
		if r.name == "" {
			continue
		}
		account, id, err := resolveInAccounts(ctx, store, accounts, r.flag, r.name, r.statsBy)
		if err != nil {
			return out, err
		}
		*r.id = id
		if account != "" {
			out.Account, accounts = account, []string{account}
		}
	}
	return out, nil
}

// logAccounts lists the accounts the log has.
func logAccounts(ctx context.Context, store *db.DB) ([]string, error) {
	rows, err := store.ReadOnlyQuery(ctx, `SELECT name FROM accounts ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing the accounts: %w", err)
	}
	var out []string
	for _, r := range rows {
		if s, ok := r["name"].(string); ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// resolveInAccounts turns a name, remark or stable id into a stable id. The account is
// returned when the filter must be narrowed to it (stable ids are per account); "" when the
// id means the same in every account that knows it.
func resolveInAccounts(ctx context.Context, store *db.DB, accounts []string, flag, name, statsBy string) (string, string, error) {
	type hit struct {
		account string
		ref     *db.ChatRef
	}
	var hits []hit
	for _, a := range accounts {
		ref, err := store.ResolveChat(ctx, a, name)
		if errors.Is(err, db.ErrNotFound) {
			continue
		}
		var amb *db.AmbiguousError
		if errors.As(err, &amb) {
			return "", "", ambiguityError(flag, a, len(accounts) > 1, amb)
		}
		if err != nil {
			return "", "", fmt.Errorf("%s %q: %w", flag, name, err)
		}
		hits = append(hits, hit{a, ref})
	}
	switch {
	case len(hits) == 0:
		return "", "", fmt.Errorf("%s %q: no chat or contact in the log has that name, remark or id; check the spelling, or see the names with `qunguan log stats --by %s`",
			flag, name, statsBy)
	case len(hits) == 1:
		return hits[0].account, hits[0].ref.ID, nil
	}
	same := true
	var where []string
	for _, h := range hits {
		same = same && h.ref.ID == hits[0].ref.ID
		where = append(where, fmt.Sprintf("%s in account %s", h.ref.ID, h.account))
	}
	if same {
		return "", hits[0].ref.ID, nil
	}
	return "", "", fmt.Errorf("%s %q is a different chat in each of several accounts (%s): add --account NAME",
		flag, name, strings.Join(where, ", "))
}

// ambiguityError lists the chats a name fits, with what tells them apart.
func ambiguityError(flag, account string, several bool, amb *db.AmbiguousError) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q fits %d chats by %s", flag, amb.Name, len(amb.Candidates), amb.MatchedBy)
	if several {
		fmt.Fprintf(&b, " in account %s", account)
	}
	b.WriteString(":\n")
	for _, c := range amb.Candidates {
		fmt.Fprintf(&b, "  %-6s %s\n", c.ID, describeContact(c))
	}
	fmt.Fprintf(&b, "use the stable id, e.g. %s %s", flag, amb.Candidates[0].ID)
	if several {
		fmt.Fprintf(&b, " --account %s", account)
	}
	return errors.New(b.String())
}

func describeContact(c db.Contact) string {
	parts := []string{string(c.Kind)}
	if c.RemarkName != "" {
		parts = append(parts, "remark "+c.RemarkName)
	}
	if c.NickName != "" {
		parts = append(parts, "nickname "+c.NickName)
	}
	if c.Alias != "" {
		parts = append(parts, "alias "+c.Alias)
	}
	if p := strings.TrimSpace(c.Province + " " + c.City); p != "" {
		parts = append(parts, p)
	}
	if c.MemberCount > 0 {
		parts = append(parts, fmt.Sprintf("%d members", c.MemberCount))
	}
	if !c.LastSeen.IsZero() {
		parts = append(parts, "last seen "+c.LastSeen.Format("2006-01-02"))
	}
	if c.Removed {
		parts = append(parts, "removed")
	}
	return strings.Join(parts, ", ")
}

// terminalWidth is out's width when it is a terminal, else 0 (lines are not cut).
func terminalWidth(out io.Writer) int {
	f, ok := out.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0
	}
	w, _, err := term.GetSize(int(f.Fd()))
	if err != nil || w <= 0 {
		return 80
	}
	return w
}

// tailPage is how many rows one Tail call reads while following.
const tailPage = 500

// tail prints the latest messages, oldest first, and with follow polls for new ones until ctx
// ends (Ctrl-C), which is not an error.
func (s *logSession) tail(ctx context.Context, follow bool, interval time.Duration) error {
	// The cursor starts at the newest row before the backlog is read: a row logged in between
	// is in the backlog, and skipped by the cursor moving past it below.
	cursor, err := s.store.LastRowID(ctx)
	if err != nil {
		return err
	}
	f := s.filter
	f.Limit = s.limitOr(20)
	backlog, err := s.store.Search(ctx, db.SearchQuery{Filter: f})
	if err != nil {
		return err
	}
	slices.Reverse(backlog)
	opts := s.opts
	opts.Stream = follow
	p := logview.NewMessagePrinter(s.out, opts)
	for _, m := range backlog {
		cursor = max(cursor, m.RowID)
		if err := p.Add(m); err != nil {
			return err
		}
	}
	if err := p.Flush(); err != nil {
		return err
	}
	if !follow {
		s.summary(len(backlog), 0, "messages match", "")
		return nil
	}
	if s.table && isTerminal(s.errOut) {
		fmt.Fprintln(s.errOut, "(following new messages: Ctrl-C stops)")
	}
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		for {
			page, err := s.store.Tail(ctx, s.filter.Account, cursor, tailPage)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			for _, m := range page {
				cursor = m.RowID
				if logview.Match(s.filter, m) {
					if err := p.Add(m); err != nil {
						return err
					}
				}
			}
			if len(page) < tailPage {
				break
			}
		}
		if err := p.Flush(); err != nil {
			return err
		}
		timer.Reset(interval)
	}
}

// export streams the filtered messages as JSON lines or CSV to stdout or to a file that
// appears only when complete.
func (s *logSession) export(ctx context.Context, output string) error {
	opts := s.opts
	if opts.Format == logview.FormatTable {
		opts = logview.Options{Format: logview.FormatJSON}
	}
	var w io.Writer = s.out
	var tmp *os.File
	toFile := output != "" && output != "-"
	if toFile {
		var err error
		tmp, err = os.CreateTemp(filepath.Dir(output), "."+filepath.Base(output)+".*.tmp")
		if err != nil {
			return fmt.Errorf("cannot write %s: %w", output, err)
		}
		defer func() {
			if tmp != nil {
				tmp.Close()
				os.Remove(tmp.Name())
			}
		}()
		w = tmp
	}
	// Progress only for a person watching a terminal, and not into the data on that terminal.
	prog := newProgress(s.errOut, isTerminal(s.errOut) && (toFile || !isTerminal(s.out)))
	p := logview.NewMessagePrinter(w, opts)
	err := s.store.Export(ctx, s.filter, func(m db.LoggedMessage) error {
		if err := p.Add(m); err != nil {
			return err
		}
		prog.tick(p.Count())
		return nil
	})
	if err == nil {
		err = p.Flush()
	}
	if err != nil {
		prog.clear()
		if ctx.Err() != nil {
			n := logview.Plural(p.Count(), "message", "messages")
			if toFile {
				return fmt.Errorf("export interrupted after %s: %s was not written", n, output)
			}
			return fmt.Errorf("export interrupted after %s: the output is incomplete", n)
		}
		return fmt.Errorf("export: %w", err)
	}
	dest := "stdout"
	if toFile {
		if err := tmp.Close(); err != nil {
			return fmt.Errorf("cannot write %s: %w", output, err)
		}
		if err := os.Rename(tmp.Name(), output); err != nil {
			return fmt.Errorf("cannot write %s: %w", output, err)
		}
		tmp, dest = nil, output
	}
	prog.done(fmt.Sprintf("exported %s to %s", logview.Plural(p.Count(), "message", "messages"), dest))
	return nil
}

// progress is a self-overwriting line on a terminal; silent when off.
type progress struct {
	w     io.Writer
	on    bool
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, on bool) *progress {
	now := time.Now()
	return &progress{w: w, on: on, start: now, last: now}
}

func (p *progress) tick(n int) {
	if !p.on || n%256 != 0 {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 200*time.Millisecond {
		p.last = now
		fmt.Fprintf(p.w, "\r\x1b[Kexporting… %d messages", n)
	}
}

func (p *progress) clear() {
	if p.on {
		fmt.Fprint(p.w, "\r\x1b[K")
	}
}

func (p *progress) done(msg string) {
	if p.on {
		fmt.Fprintf(p.w, "\r\x1b[K%s in %s\n", msg, time.Since(p.start).Round(100*time.Millisecond))
	}
}
