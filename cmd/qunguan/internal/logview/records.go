package logview

import (
	"encoding/json"
	"strconv"
	"time"

	"qunguan/db"
)

// TimeLayout is how JSON and CSV write times: RFC 3339 with milliseconds, in local time with
// its offset.
const TimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Message is one logged message as --json and export write it. The field names are a
// contract: add fields, never rename them.
type Message struct {
	RowID     int64           `json:"row_id"`
	Account   string          `json:"account"`
	Time      string          `json:"time"`
	ChatID    string          `json:"chat_id"`
	Chat      string          `json:"chat"`
	SenderID  string          `json:"sender_id"`
	Sender    string          `json:"sender"`
	Direction string          `json:"direction"` // in, out
	Origin    string          `json:"origin"`    // received, phone, bot
	Kind      string          `json:"kind"`
	Text      string          `json:"text"`
	MsgID     string          `json:"msg_id"`
	NewMsgID  string          `json:"new_msg_id,omitempty"`
	MsgType   int             `json:"msg_type"`
	Path      string          `json:"path,omitempty"`
	RecallOf  int64           `json:"recall_of,omitempty"` // row id of the recalled message
	Detail    json.RawMessage `json:"detail,omitempty"`    // kind-specific fields
	Raw       json.RawMessage `json:"raw,omitempty"`       // the message as received (export)
}

// FormatTime writes t for JSON and CSV in loc; the zero time is "".
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format(TimeLayout)
}

// NewMessage converts a logged message.
func NewMessage(m db.LoggedMessage, loc *time.Location) Message {
	return Message{
		RowID: m.RowID, Account: m.Account, Time: FormatTime(m.Time, loc),
		ChatID: m.ChatID, Chat: m.ChatName, SenderID: m.SenderID, Sender: m.SenderName,
		Direction: string(m.Direction), Origin: string(m.Origin), Kind: string(m.Kind), Text: m.Text,
		MsgID: m.MsgID, NewMsgID: m.NewMsgID, MsgType: m.MsgType, Path: m.Path, RecallOf: m.RecallOf,
		Detail: validJSON(m.Detail), Raw: validJSON(m.Raw),
	}
}

// validJSON keeps valid JSON as it is and turns anything else into a JSON string, so that one
// odd stored value cannot break a whole export.
func validJSON(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

// MessageCSVHeader is the header row of message CSV.
var MessageCSVHeader = []string{"row_id", "time", "account", "chat_id", "chat", "sender_id", "sender",
	"direction", "origin", "kind", "text", "msg_id", "detail"}

// CSV is the message as a CSV record (MessageCSVHeader).
func (m Message) CSV() []string {
	return []string{strconv.FormatInt(m.RowID, 10), m.Time, m.Account, m.ChatID, m.Chat, m.SenderID,
		m.Sender, m.Direction, m.Origin, m.Kind, m.Text, m.MsgID, string(m.Detail)}
}

// Recall is a recall notice as --json writes it: the notice's own fields, and the message it
// took back under "original" (null when the log does not have it).
type Recall struct {
	Message
	Original *Message `json:"original"`
}

// NewRecall converts a recall.
func NewRecall(r db.Recall, loc *time.Location) Recall {
	out := Recall{Message: NewMessage(r.Notice, loc)}
	if r.Original != nil {
		o := NewMessage(*r.Original, loc)
		out.Original = &o
	}
	return out
}

// RecallCSVHeader is the header row of recall CSV.
var RecallCSVHeader = []string{"time", "account", "chat_id", "chat", "sender_id", "sender", "notice",
	"original_time", "original_msg_id", "original_text"}

// CSV is the recall as a CSV record (RecallCSVHeader).
func (r Recall) CSV() []string {
	var ot, oid, otext string
	if r.Original != nil {
		ot, oid, otext = r.Original.Time, r.Original.MsgID, r.Original.Text
	}
	return []string{r.Time, r.Account, r.ChatID, r.Chat, r.SenderID, r.Sender, r.Text, ot, oid, otext}
}

// Stat is one group of `log stats` as --json writes it.
type Stat struct {
	By    string `json:"by"`   // day, chat, sender, kind
	Key   string `json:"key"`  // the day, stable id or kind
	Name  string `json:"name"` // chat or sender name; the key otherwise
	Count int64  `json:"count"`
	First string `json:"first"`
	Last  string `json:"last"`
}

// NewStat converts a stats group.
func NewStat(by db.StatsBy, s db.Stat, loc *time.Location) Stat {
	return Stat{By: string(by), Key: s.Key, Name: s.Name, Count: s.Count,
		First: FormatTime(s.First, loc), Last: FormatTime(s.Last, loc)}
}

// StatCSVHeader is the header row of stats CSV.
var StatCSVHeader = []string{"by", "key", "name", "count", "first", "last"}

// CSV is the group as a CSV record (StatCSVHeader).
func (s Stat) CSV() []string {
	return []string{s.By, s.Key, s.Name, strconv.FormatInt(s.Count, 10), s.First, s.Last}
}
