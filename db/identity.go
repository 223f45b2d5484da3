package db

import (
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"qunguan/wx"
)

// Stable ids (DESIGN.md §6, PROTOCOL.md §12).
//
// A UserName lives for one login; the store maps every UserName it sees to a stable id that
// survives logins, and keeps the map in user_names (account, UserName → id, login generation).
// The login generation goes up whenever self's UserName changes (a QR or push login issues new
// UserNames for everyone; a hot login keeps them). A contact already bound to another UserName
// in the current generation is "claimed" and cannot be matched again: that is what keeps two
// friends with identical attributes apart.
//
// An unknown UserName is matched, in order, by:
//   - special accounts: the fixed name is the id (filehelper);
//   - self: the Uin, id u<uin>;
//   - groups: raw …@chatroom id when revealed; else the same NickName (the largest member
//     overlap breaks ties); else, for a group delivered with its members, the group whose
//     current members mostly reappear (renamed while we were offline);
//   - persons and official accounts: raw id (wxid_…, gh_…) when revealed, Alias, RemarkName;
//     then official accounts by NickName; non-friend group members by (group, NickName); then
//     persons by (NickName, Sex, Province, City, Signature).
//
// A candidate whose raw id, Alias or RemarkName contradicts the sighting is never taken by a
// weaker rule. Several candidates left: the one agreeing on most attributes, else the most
// recently seen, with a warning. Nothing left: a new id, c<N> or g<N>.

// sighting is one appearance of a UserName with what is known about it then.
type sighting struct {
	userName  string
	rawID     string
	uin       int64
	nick      string
	remark    string
	alias     string
	sex       int
	province  string
	city      string
	signature string
	display   string // display name in group, for members

	isSelf, isGroup, isOfficial, isFriend bool
	verifyFlag, contactFlag               int
	memberCount                           int
	isOwner                               bool

	// full: the attributes are the contact book's (a wx.Contact), so they replace what is
	// stored. A Peer's attributes only fill gaps.
	full bool
	// flags: verifyFlag and contactFlag are known (wx.Contact, not wx.Peer).
	flags bool
	// group is the stable id of the group this person was seen in (a member or a sender in a
	// group), "" otherwise.
	group string
}

func sightingFromContact(c *wx.Contact) sighting {
	return sighting{
		userName: c.UserName, rawID: c.RawID, uin: c.Uin, nick: c.NickName, remark: c.RemarkName,
		alias: c.Alias, sex: c.Sex, province: c.Province, city: c.City, signature: c.Signature,
		isGroup: c.IsGroup(), isOfficial: c.IsOfficial(), isFriend: c.IsFriend(),
		verifyFlag: c.VerifyFlag, contactFlag: c.ContactFlag, memberCount: c.MemberCount,
		isOwner: c.IsOwner, full: true, flags: true,
	}
}

func sightingFromPeer(p *wx.Peer) sighting {
	return sighting{
		userName: p.UserName, rawID: p.RawID, nick: p.NickName, remark: p.RemarkName,
		alias: p.Alias, sex: p.Sex, province: p.Province, city: p.City, signature: p.Signature,
		display: p.DisplayName, isSelf: p.IsSelf,
		isGroup: p.IsGroup || wx.IsGroupUserName(p.UserName), isOfficial: p.IsOfficial,
		isFriend: p.IsFriend, memberCount: p.MemberCount,
	}
}

// thin reports whether the sighting has nothing beyond a nickname to go on (a group member as
// the member list shows it).
func (s *sighting) thin() bool {
	return s.sex == 0 && s.province == "" && s.city == "" && s.signature == ""
}

func (s *sighting) kind() string {
	switch {
	case s.isGroup:
		return "group"
	case s.isOfficial || strings.HasPrefix(s.rawID, "gh_"):
		return "official"
	}
	return "person"
}

// selfID is the stable id of the logged-in account.
func (w *writeTx) selfID() string {
	if w.acct.uin != 0 {
		return "u" + strconv.FormatInt(w.acct.uin, 10)
	}
	return "self"
}

const (
	selectUserName = `SELECT contact_id, login_gen FROM user_names WHERE account = ? AND user_name = ?`
	// lookupUserName also fetches what decides whether the contact row needs a write. No
	// JOIN: the same lookup as a join measured ~50 µs an execution (as much as a prepare; it
	// seems re-prepared each time) against ~6 µs with scalar subqueries, and this runs for
	// every sender of every batch.
	lookupUserName = `SELECT c.id, (SELECT login_gen FROM user_names WHERE account = ?1 AND user_name = ?2),
    c.raw_id, c.nickname, c.last_seen
FROM contacts c
WHERE c.account = ?1 AND c.id = (SELECT contact_id FROM user_names WHERE account = ?1 AND user_name = ?2)`
	upsertUserName = `INSERT INTO user_names (account, user_name, contact_id, login_gen, seen_at)
VALUES (?, ?, ?, ?, ?)
ON CONFLICT (account, user_name) DO UPDATE
SET contact_id = excluded.contact_id, login_gen = excluded.login_gen, seen_at = excluded.seen_at`
	updateContactUserName = `UPDATE contacts SET user_name = ?, login_gen = ? WHERE account = ? AND id = ?`
)

// resolve returns the stable id of the sighting's UserName, matching or creating a contact
// and binding the UserName to it. With strongOnly it only matches by mapping, raw id, Alias
// or RemarkName and returns "" instead of guessing or creating.
func (w *writeTx) resolve(s *sighting, strongOnly bool) (string, error) {
	if s.userName == "" {
		return "", nil
	}
	if id, ok := w.memo[s.userName]; ok {
		if s.full {
			if err := w.updateContact(id, s); err != nil {
				return "", err
			}
		}
		return id, nil
	}
	if s.rawID == "" {
		s.rawID = w.revealed[s.userName]
	}

	if wx.IsSpecialUserName(s.userName) {
		if err := w.ensureContact(s.userName, "special", s); err != nil {
			return "", err
		}
		return s.userName, w.bind(s.userName, s.userName)
	}
	if s.isSelf || s.userName == w.acct.selfUserName || (s.uin != 0 && s.uin == w.acct.uin) {
		id := w.selfID()
		if err := w.ensureContact(id, "self", s); err != nil {
			return "", err
		}
		if s.full {
			if err := w.updateContact(id, s); err != nil {
				return "", err
			}
		}
		return id, w.bind(s.userName, id)
	}

	var id, rawID, nick string
	var gen, lastSeen int64
	err := w.tx.QueryRowContext(w.ctx, lookupUserName, w.account, s.userName).Scan(&id, &gen, &rawID, &nick, &lastSeen)
	switch {
	case err == nil:
		// The common case: a known UserName of this login. Write only what changed.
		if s.full || (s.rawID != "" && s.rawID != rawID) || (s.nick != "" && nick == "") {
			if err := w.updateContact(id, s); err != nil {
				return "", err
			}
		}
		if gen != w.acct.gen {
			return id, w.bind(s.userName, id)
		}
		w.memo[s.userName] = id
		if lastSeen < w.now-lastSeenPrecision {
			w.touched[id] = true
		}
		return id, nil
	case !errors.Is(err, sql.ErrNoRows):
		return "", fmt.Errorf("look up %s: %w", s.userName, err)
	}

	if s.isGroup {
		id, err = w.matchGroup(s, strongOnly)
	} else {
		id, err = w.matchPerson(s, strongOnly)
	}
	if err != nil {
		return "", err
	}
	if id == "" {
		if strongOnly {
			return "", nil
		}
		if id, err = w.createContact(s); err != nil {
			return "", err
		}
	} else if err := w.updateContact(id, s); err != nil {
		return "", err
	}
	return id, w.bind(s.userName, id)
}

// bind records userName → id for the current login generation.
func (w *writeTx) bind(userName, id string) error {
	if _, err := w.tx.ExecContext(w.ctx, upsertUserName, w.account, userName, id, w.acct.gen, w.now); err != nil {
		return fmt.Errorf("bind %s: %w", userName, err)
	}
	if _, err := w.tx.ExecContext(w.ctx, updateContactUserName, userName, w.acct.gen, w.account, id); err != nil {
		return fmt.Errorf("bind %s: %w", userName, err)
	}
	w.memo[userName] = id
	w.touched[id] = true
	return nil
}

const (
	insertContact = `INSERT INTO contacts (account, id, kind, raw_id, uin, nickname, remark, alias, sex,
    province, city, signature, is_friend, verify_flag, contact_flag, member_count, is_owner,
    first_seen, last_seen)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (account, id) DO NOTHING`
	bumpPersonSeq = `UPDATE accounts SET person_seq = person_seq + 1 WHERE name = ?`
	bumpGroupSeq  = `UPDATE accounts SET group_seq = group_seq + 1 WHERE name = ?`
	selectSeqs    = `SELECT person_seq, group_seq FROM accounts WHERE name = ?`
)

// createContact gives the sighting a new stable id.
func (w *writeTx) createContact(s *sighting) (string, error) {
	kind := s.kind()
	q, prefix := bumpPersonSeq, "c"
	if kind == "group" {
		q, prefix = bumpGroupSeq, "g"
	}
	var person, group int64
	if _, err := w.tx.ExecContext(w.ctx, q, w.account); err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	if err := w.tx.QueryRowContext(w.ctx, selectSeqs, w.account).Scan(&person, &group); err != nil {
		return "", fmt.Errorf("new id: %w", err)
	}
	n := person
	if kind == "group" {
		n = group
	}
	id := prefix + strconv.FormatInt(n, 10)
	if err := w.ensureContact(id, kind, s); err != nil {
		return "", err
	}
	w.log.WithFields(logrus.Fields{"account": w.account, "id": id, "kind": kind, "nickname": s.nick}).Debug("new contact")
	return id, nil
}

// ensureContact inserts the contact row if it does not exist yet.
func (w *writeTx) ensureContact(id, kind string, s *sighting) error {
	uin := s.uin
	if kind == "self" {
		uin = w.acct.uin
	}
	_, err := w.tx.ExecContext(w.ctx, insertContact, w.account, id, kind, s.rawID, uin, s.nick,
		s.remark, s.alias, s.sex, s.province, s.city, s.signature, s.isFriend, s.verifyFlag,
		s.contactFlag, s.memberCount, s.isOwner, w.now, w.now)
	if err != nil {
		return fmt.Errorf("create contact %s: %w", id, err)
	}
	return nil
}

const (
	// updateContactFull replaces the attributes with the contact book's. Flags only when known
	// (?13). A person may turn out to be an official account and back; self, special and group
	// keep their kind.
	updateContactFull = `UPDATE contacts SET
    raw_id = CASE WHEN ?1 <> '' THEN ?1 ELSE raw_id END,
    uin = CASE WHEN ?2 <> 0 THEN ?2 ELSE uin END,
    nickname = ?3, remark = ?4, alias = ?5, sex = ?6, province = ?7, city = ?8, signature = ?9,
    is_friend = ?10,
    verify_flag = CASE WHEN ?13 THEN ?11 ELSE verify_flag END,
    contact_flag = CASE WHEN ?13 THEN ?12 ELSE contact_flag END,
    member_count = CASE WHEN ?14 <> 0 THEN ?14 ELSE member_count END,
    is_owner = ?15,
    kind = CASE WHEN kind IN ('person', 'official') AND ?16 IN ('person', 'official') THEN ?16 ELSE kind END,
    removed_at = NULL
WHERE account = ?17 AND id = ?18`
	// updateContactGaps fills what a Peer knows and the row does not.
	updateContactGaps = `UPDATE contacts SET
    raw_id = CASE WHEN raw_id = '' THEN ?1 ELSE raw_id END,
    nickname = CASE WHEN nickname = '' THEN ?2 ELSE nickname END
WHERE account = ?3 AND id = ?4 AND ((raw_id = '' AND ?1 <> '') OR (nickname = '' AND ?2 <> ''))`
	selectContactRawID = `SELECT raw_id FROM contacts WHERE account = ? AND id = ?`
)

// updateContact stores what the sighting says about contact id.
func (w *writeTx) updateContact(id string, s *sighting) error {
	if s.rawID != "" {
		var stored string
		if err := w.tx.QueryRowContext(w.ctx, selectContactRawID, w.account, id).Scan(&stored); err != nil {
			return fmt.Errorf("update contact %s: %w", id, err)
		}
		if stored != "" && stored != s.rawID {
			w.log.WithFields(logrus.Fields{"account": w.account, "id": id, "raw_id": stored, "new_raw_id": s.rawID}).
				Warn("contact's raw id changed; keeping the stable id")
		}
	}
	var err error
	if s.full {
		_, err = w.tx.ExecContext(w.ctx, updateContactFull, s.rawID, s.uin, s.nick, s.remark, s.alias,
			s.sex, s.province, s.city, s.signature, s.isFriend, s.verifyFlag, s.contactFlag, s.flags,
			s.memberCount, s.isOwner, s.kind(), w.account, id)
	} else if s.rawID != "" || s.nick != "" {
		_, err = w.tx.ExecContext(w.ctx, updateContactGaps, s.rawID, s.nick, w.account, id)
	}
	if err != nil {
		return fmt.Errorf("update contact %s: %w", id, err)
	}
	w.touched[id] = true
	return nil
}

// candidate is a stored contact that might be the sighting.
type candidate struct {
	id, kind, userName                 string
	gen                                int64
	rawID, alias, remark, nick         string
	sex                                int
	province, city, signature, display string
	lastSeen                           int64
	current                            bool // still a member (member candidates)
	overlap                            int  // members in common (group candidates)
}

const candidateColumns = `c.id, c.kind, c.user_name, c.login_gen, c.raw_id, c.alias, c.remark,
    c.nickname, c.sex, c.province, c.city, c.signature, c.last_seen`

const (
	candidatesByRawID    = `SELECT ` + candidateColumns + `, '', 0 FROM contacts c WHERE c.account = ? AND c.raw_id = ? AND c.kind = ?`
	candidatesByAlias    = `SELECT ` + candidateColumns + `, '', 0 FROM contacts c WHERE c.account = ? AND c.alias = ? AND c.kind = ?`
	candidatesByRemark   = `SELECT ` + candidateColumns + `, '', 0 FROM contacts c WHERE c.account = ? AND c.remark = ? AND c.kind = ?`
	candidatesByNickname = `SELECT ` + candidateColumns + `, '', 0 FROM contacts c WHERE c.account = ? AND c.nickname = ? AND c.kind = ?`
	// No JOIN, for the reason given at lookupUserName: this runs for every member at login.
	candidatesInGroup = `SELECT ` + candidateColumns + `,
    (SELECT display_name FROM group_members WHERE account = ?1 AND group_id = ?3 AND member_id = c.id),
    (SELECT left_at IS NULL FROM group_members WHERE account = ?1 AND group_id = ?3 AND member_id = c.id)
FROM contacts c
WHERE c.account = ?1 AND c.kind = 'person' AND c.id IN (
    SELECT member_id FROM group_members WHERE account = ?1 AND nickname = ?2 AND group_id = ?3)`
)

func (w *writeTx) candidates(q string, args ...any) ([]candidate, error) {
	rows, err := w.tx.QueryContext(w.ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	defer rows.Close()
	var out []candidate
	for rows.Next() {
		var c candidate
		if err := rows.Scan(&c.id, &c.kind, &c.userName, &c.gen, &c.rawID, &c.alias, &c.remark,
			&c.nick, &c.sex, &c.province, &c.city, &c.signature, &c.lastSeen, &c.display, &c.current); err != nil {
			return nil, fmt.Errorf("match: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("match: %w", err)
	}
	return out, nil
}

// Rules from strongest to weakest. A candidate found by a rule is excluded when a key stronger
// than that rule contradicts the sighting (both set, different).
const (
	byRawID = iota
	byAlias
	byRemark
	byWeak // nickname and attributes, group membership
)

// usable drops candidates that are claimed by another UserName in this login, or whose
// stronger keys contradict the sighting.
func (w *writeTx) usable(cs []candidate, s *sighting, rule int) []candidate {
	out := cs[:0]
	for _, c := range cs {
		if c.gen == w.acct.gen && c.userName != "" && c.userName != s.userName {
			continue // claimed in this login
		}
		if rule > byRawID && c.rawID != "" && s.rawID != "" && c.rawID != s.rawID {
			continue
		}
		if rule > byAlias && c.alias != "" && s.alias != "" && c.alias != s.alias {
			continue
		}
		if rule > byRemark && c.remark != "" && s.remark != "" && c.remark != s.remark {
			continue
		}
		out = append(out, c)
	}
	return out
}

// agreement counts the attributes a candidate shares with the sighting.
func agreement(c *candidate, s *sighting) int {
	n := 0
	for _, eq := range []bool{
		c.nick == s.nick, c.remark == s.remark, c.alias == s.alias, c.sex == s.sex,
		c.province == s.province, c.city == s.city, c.signature == s.signature,
		s.display != "" && c.display == s.display, c.current,
	} {
		if eq {
			n++
		}
	}
	return n + 100*c.overlap
}

// pick chooses among usable candidates: the only one; else the one that agrees most; else the
// most recently seen, with a warning so that a person can check.
func (w *writeTx) pick(cs []candidate, s *sighting, rule string) string {
	switch len(cs) {
	case 0:
		return ""
	case 1:
		return cs[0].id
	}
	sort.SliceStable(cs, func(i, j int) bool {
		ai, aj := agreement(&cs[i], s), agreement(&cs[j], s)
		if ai != aj {
			return ai > aj
		}
		if cs[i].lastSeen != cs[j].lastSeen {
			return cs[i].lastSeen > cs[j].lastSeen
		}
		return cs[i].id < cs[j].id
	})
	ids := make([]string, len(cs))
	for i := range cs {
		ids[i] = cs[i].id
	}
	f := logrus.Fields{"account": w.account, "user_name": s.userName, "nickname": s.nick,
		"rule": rule, "candidates": strings.Join(ids, ","), "chosen": cs[0].id}
	if agreement(&cs[0], s) == agreement(&cs[1], s) {
		w.log.WithFields(f).Warn("ambiguous contact match: chose the most recently seen")
	} else {
		w.log.WithFields(f).Info("ambiguous contact match: chose the closest attributes")
	}
	return cs[0].id
}

// matchPerson finds the stored person or official account the sighting is, or "".
func (w *writeTx) matchPerson(s *sighting, strongOnly bool) (string, error) {
	kind := s.kind()
	try := func(q, key string, rule int, name string) (string, error) {
		if key == "" {
			return "", nil
		}
		cs, err := w.candidates(q, w.account, key, kind)
		if err != nil {
			return "", err
		}
		return w.pick(w.usable(cs, s, rule), s, name), nil
	}
	for _, r := range []struct {
		q, key string
		rule   int
		name   string
	}{
		{candidatesByRawID, s.rawID, byRawID, "raw_id"},
		{candidatesByAlias, s.alias, byAlias, "alias"},
		{candidatesByRemark, s.remark, byRemark, "remark"},
	} {
		if id, err := try(r.q, r.key, r.rule, r.name); id != "" || err != nil {
			return id, err
		}
	}
	if strongOnly || s.nick == "" {
		return "", nil
	}
	if kind == "official" {
		return try(candidatesByNickname, s.nick, byWeak, "nickname")
	}
	if s.group != "" && !s.isFriend {
		cs, err := w.candidates(candidatesInGroup, w.account, s.nick, s.group)
		if err != nil {
			return "", err
		}
		if id := w.pick(w.usable(cs, s, byWeak), s, "group+nickname"); id != "" {
			return id, nil
		}
		if s.thin() {
			// A member list says nothing beyond the nickname: matching it against people
			// outside this group would merge strangers who share a name.
			return "", nil
		}
	}
	cs, err := w.candidates(candidatesByNickname, w.account, s.nick, kind)
	if err != nil {
		return "", err
	}
	exact := cs[:0]
	for _, c := range cs {
		if c.sex == s.sex && c.province == s.province && c.city == s.city && c.signature == s.signature {
			exact = append(exact, c)
		}
	}
	return w.pick(w.usable(exact, s, byWeak), s, "attributes"), nil
}

const (
	candidateGroupsByMembers = `SELECT gm.group_id, COUNT(*) FROM group_members gm
WHERE gm.account = ? AND gm.left_at IS NULL AND gm.member_id <> ?
  AND gm.nickname IN (SELECT value FROM json_each(?))
GROUP BY gm.group_id`
	countGroupMembers = `SELECT COUNT(*) FROM group_members
WHERE account = ? AND group_id = ? AND left_at IS NULL AND member_id <> ?`
	selectGroupCandidate       = `SELECT ` + candidateColumns + `, '', 0 FROM contacts c WHERE c.account = ? AND c.id = ? AND c.kind = 'group'`
	selectGroupMemberNicknames = `SELECT nickname FROM group_members
WHERE account = ? AND group_id = ? AND left_at IS NULL AND member_id <> ?`
)

// matchGroup finds the stored group the sighting is, or "".
func (w *writeTx) matchGroup(s *sighting, strongOnly bool) (string, error) {
	if s.rawID != "" {
		cs, err := w.candidates(candidatesByRawID, w.account, s.rawID, "group")
		if err != nil {
			return "", err
		}
		if id := w.pick(w.usable(cs, s, byRawID), s, "raw_id"); id != "" || strongOnly {
			return id, nil
		}
	}
	if strongOnly {
		return "", nil
	}
	members := w.memberNicknames(s)
	if s.nick != "" {
		cs, err := w.candidates(candidatesByNickname, w.account, s.nick, "group")
		if err != nil {
			return "", err
		}
		cs = w.usable(cs, s, byWeak)
		if len(cs) > 1 && len(members) > 0 {
			for i := range cs {
				if cs[i].overlap, err = w.overlap(cs[i].id, members); err != nil {
					return "", err
				}
			}
		}
		if id := w.pick(cs, s, "name"); id != "" {
			return id, nil
		}
	}
	if len(members) == 0 {
		return "", nil
	}
	// Renamed while we were offline: the group whose current members mostly reappear.
	list, err := jsonText(members)
	if err != nil {
		return "", err
	}
	rows, err := w.tx.QueryContext(w.ctx, candidateGroupsByMembers, w.account, w.selfID(), list)
	if err != nil {
		return "", fmt.Errorf("match group: %w", err)
	}
	counts := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return "", fmt.Errorf("match group: %w", err)
		}
		counts[id] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("match group: %w", err)
	}
	var cs []candidate
	for id, n := range counts {
		var size int
		if err := w.tx.QueryRowContext(w.ctx, countGroupMembers, w.account, id, w.selfID()).Scan(&size); err != nil {
			return "", fmt.Errorf("match group: %w", err)
		}
		if 2*n <= min(size, len(members)) {
			continue // not most of the members
		}
		got, err := w.candidates(selectGroupCandidate, w.account, id)
		if err != nil {
			return "", err
		}
		for i := range got {
			got[i].overlap = n
		}
		cs = append(cs, got...)
	}
	id := w.pick(w.usable(cs, s, byWeak), s, "members")
	if id != "" {
		for _, c := range cs {
			if c.id == id {
				w.log.WithFields(logrus.Fields{"account": w.account, "group": id, "old_name": c.nick,
					"new_name": s.nick, "common_members": c.overlap}).Info("group renamed while offline: matched by its members")
			}
		}
	}
	return id, nil
}

// overlap counts how many of the nicknames are current members of the stored group.
func (w *writeTx) overlap(groupID string, nicknames []string) (int, error) {
	rows, err := w.tx.QueryContext(w.ctx, selectGroupMemberNicknames, w.account, groupID, w.selfID())
	if err != nil {
		return 0, fmt.Errorf("match group: %w", err)
	}
	defer rows.Close()
	want := map[string]int{}
	for _, n := range nicknames {
		want[n]++
	}
	n := 0
	for rows.Next() {
		var nick string
		if err := rows.Scan(&nick); err != nil {
			return 0, fmt.Errorf("match group: %w", err)
		}
		if want[nick] > 0 {
			want[nick]--
			n++
		}
	}
	return n, rows.Err()
}

// memberNicknames lists the nicknames of the sighted group's members other than self.
func (w *writeTx) memberNicknames(s *sighting) []string {
	ms := w.groupMembers[s.userName]
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		if w.isSelfMember(m) || m.NickName == "" {
			continue
		}
		out = append(out, m.NickName)
	}
	return out
}

func (w *writeTx) isSelfMember(m wx.Member) bool {
	return (w.acct.selfUserName != "" && m.UserName == w.acct.selfUserName) || (m.Uin != 0 && m.Uin == w.acct.uin)
}

const (
	upsertGroupMember = `INSERT INTO group_members (account, group_id, member_id, nickname, display_name, joined_at, left_at)
VALUES (?, ?, ?, ?, ?, ?, NULL)
ON CONFLICT (account, group_id, member_id) DO UPDATE SET
    nickname = CASE WHEN excluded.nickname <> '' THEN excluded.nickname ELSE group_members.nickname END,
    display_name = excluded.display_name,
    joined_at = CASE WHEN group_members.left_at IS NOT NULL THEN excluded.joined_at ELSE group_members.joined_at END,
    left_at = NULL`
	markMembersLeft = `UPDATE group_members SET left_at = ?
WHERE account = ? AND group_id = ? AND left_at IS NULL AND member_id NOT IN (SELECT value FROM json_each(?))`
)

// applyMembers stores a group's full member list: members resolved to stable ids, joins and
// display names recorded, and members no longer listed marked as left.
func (w *writeTx) applyMembers(groupID string, members []wx.Member) error {
	ids := make([]string, 0, len(members))
	for i := range members {
		m := &members[i]
		if m.UserName == "" {
			continue
		}
		s := sighting{userName: m.UserName, uin: m.Uin, nick: m.NickName, display: m.DisplayName,
			group: groupID, isSelf: w.isSelfMember(*m)}
		id, err := w.resolve(&s, false)
		if err != nil {
			return err
		}
		if err := w.upsertMember(groupID, id, m.NickName, m.DisplayName, w.now); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	list, err := jsonText(ids)
	if err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(w.ctx, markMembersLeft, w.now, w.account, groupID, list); err != nil {
		return fmt.Errorf("members of %s: %w", groupID, err)
	}
	return nil
}

func (w *writeTx) upsertMember(groupID, memberID, nick, display string, at int64) error {
	if groupID == "" || memberID == "" {
		return nil
	}
	if _, err := w.tx.ExecContext(w.ctx, upsertGroupMember, w.account, groupID, memberID, nick, display, at); err != nil {
		return fmt.Errorf("member %s of %s: %w", memberID, groupID, err)
	}
	return nil
}

// applyContacts maps the batch's contacts: persons before groups (a friend's UserName inside a
// member list is then already known), and within each, strong keys (raw id, Alias, RemarkName)
// for everyone before anyone is matched by weaker attributes, so that the order of the list
// cannot let a weak match take a contact that a strong key names.
func (w *writeTx) applyContacts(cs []*wx.Contact) error {
	var persons, groups []*wx.Contact
	for _, c := range cs {
		if c == nil || c.UserName == "" {
			continue
		}
		if c.IsGroup() {
			groups = append(groups, c)
			if len(c.Members) > 0 {
				w.groupMembers[c.UserName] = c.Members
			}
		} else {
			persons = append(persons, c)
		}
	}
	done := map[string]bool{}
	for _, list := range [][]*wx.Contact{persons, groups} {
		for _, strong := range []bool{true, false} {
			for _, c := range list {
				if done[c.UserName] {
					continue
				}
				s := sightingFromContact(c)
				id, err := w.resolve(&s, strong)
				if err != nil {
					return err
				}
				done[c.UserName] = id != ""
			}
		}
	}
	for _, c := range groups {
		if len(c.Members) == 0 {
			continue // a group from webwxgetcontact: members unknown, not "no members"
		}
		if err := w.applyMembers(w.memo[c.UserName], c.Members); err != nil {
			return err
		}
	}
	return nil
}
