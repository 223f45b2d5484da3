package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/sirupsen/logrus"

	"qunguan/wx"
)

// writeTx is one write transaction on the writer connection, with the account's identity
// state loaded.
type writeTx struct {
	ctx     context.Context
	tx      *sql.Tx
	log     *logrus.Entry
	account string
	now     int64 // unix ms at the start of the transaction
	acct    accountState
	dirty   bool // acct changed

	memo         map[string]string      // UserName → stable id, bound in this transaction
	touched      map[string]bool        // contacts seen: last_seen = now at commit
	members      map[[2]string]string   // (group, member) → display name written in this transaction
	revealed     map[string]string      // UserName → raw id that this batch revealed
	groupMembers map[string][]wx.Member // group UserName → member list in this batch
}

// accountState is the accounts row.
type accountState struct {
	uin          int64
	selfUserName string
	gen          int64
}

const (
	ensureAccount = `INSERT INTO accounts (name, created_at, updated_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO NOTHING`
	selectAccount = `SELECT uin, self_user_name, login_gen FROM accounts WHERE name = ?`
	updateAccount = `UPDATE accounts SET uin = ?, self_id = ?, self_user_name = ?, login_gen = ?, updated_at = ?
WHERE name = ?`
	touchContact = `UPDATE contacts SET last_seen = ? WHERE account = ? AND id = ? AND last_seen < ?`
)

// lastSeenPrecision: contacts.last_seen is refreshed when it is older than this, so that a busy
// chat does not cost a contact write per batch.
const lastSeenPrecision = 60_000 // ms

// beginWrite starts a write transaction for the account (creating its row on first use).
func (d *DB) beginWrite(ctx context.Context, account string) (*writeTx, error) {
	if account == "" {
		return nil, fmt.Errorf("no account name: %w", ErrInvalidArgument)
	}
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	w := &writeTx{
		ctx: ctx, tx: tx, log: d.log, account: account, now: d.now().UnixMilli(),
		memo: map[string]string{}, touched: map[string]bool{}, revealed: map[string]string{},
		groupMembers: map[string][]wx.Member{}, members: map[[2]string]string{},
	}
	if _, err := tx.ExecContext(ctx, ensureAccount, account, w.now, w.now); err != nil {
		tx.Rollback()
		return nil, err
	}
	if err := tx.QueryRowContext(ctx, selectAccount, account).Scan(&w.acct.uin, &w.acct.selfUserName, &w.acct.gen); err != nil {
		tx.Rollback()
		return nil, err
	}
	return w, nil
}

func (w *writeTx) rollback() { w.tx.Rollback() }

// commit records last_seen of the contacts seen and the account state, and commits.
func (w *writeTx) commit() error {
	ids := make([]string, 0, len(w.touched))
	for id := range w.touched {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, err := w.tx.ExecContext(w.ctx, touchContact, w.now, w.account, id, w.now); err != nil {
			return err
		}
	}
	if w.dirty {
		if _, err := w.tx.ExecContext(w.ctx, updateAccount, w.acct.uin, w.selfID(), w.acct.selfUserName,
			w.acct.gen, w.now, w.account); err != nil {
			return err
		}
	}
	return w.tx.Commit()
}

// setUin records the account's Uin.
func (w *writeTx) setUin(uin int64) {
	if uin == 0 || uin == w.acct.uin {
		return
	}
	if w.acct.uin != 0 {
		w.log.WithFields(logrus.Fields{"account": w.account, "uin": w.acct.uin, "new_uin": uin}).
			Warn("account now logged in as a different WeChat user; contacts stay in the same book")
	}
	w.acct.uin = uin
	w.dirty = true
}

// noteSelfUserName starts a new login generation when self's UserName changed: QR and push
// logins issue new UserNames for every contact, hot logins keep them.
func (w *writeTx) noteSelfUserName(userName string) error {
	if userName == "" || userName == w.acct.selfUserName {
		return nil
	}
	w.acct.gen++
	w.acct.selfUserName = userName
	w.dirty = true
	w.log.WithFields(logrus.Fields{"account": w.account, "login_gen": w.acct.gen}).Debug("new login generation")
	s := sighting{userName: userName, isSelf: true}
	_, err := w.resolve(&s, false)
	return err
}

// jsonText encodes v as JSON text for a TEXT column or a json_each argument.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// nullJSON encodes v, or returns nil (SQL NULL) when it encodes to {} or null.
func nullJSON(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if s := string(b); s == "{}" || s == "null" {
		return nil, nil
	}
	return string(b), nil
}

// nullStr maps "" to SQL NULL.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
