package logview

import "qunguan/db"

// Match reports whether m passes f, as the store's queries decide (times to the millisecond) (for `log tail -f`,
// whose store call filters by account only). Limit is ignored.
func Match(f db.Filter, m db.LoggedMessage) bool {
	switch {
	case f.Account != "" && m.Account != f.Account,
		f.ChatID != "" && m.ChatID != f.ChatID,
		f.SenderID != "" && m.SenderID != f.SenderID,
		f.Kind != "" && m.Kind != f.Kind,
		f.Direction != "" && m.Direction != f.Direction,
		!f.Since.IsZero() && m.Time.UnixMilli() < f.Since.UnixMilli(),
		!f.Until.IsZero() && m.Time.UnixMilli() >= f.Until.UnixMilli():
		return false
	}
	return true
}
