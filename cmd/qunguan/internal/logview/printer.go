package logview

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/mattn/go-runewidth"

	"qunguan/db"
	"qunguan/wx"
)

// Format is an output format.
type Format int

// Formats.
const (
	FormatTable Format = iota // aligned columns for people
	FormatJSON                // one JSON object per line
	FormatCSV                 // RFC 4180 with a header row
)

// Options say how to print.
type Options struct {
	Format Format
	Width  int            // terminal width for tables; 0: lines are not cut
	Color  bool           // dim times and bold senders in tables
	Loc    *time.Location // zone for times; nil: local
	Cond   *runewidth.Condition
	// Stream: rows come in batches (tail -f). Table columns start at their usual widths
	// rather than at the first batch's, so later rows are rarely cut.
	Stream bool
}

func (o Options) loc() *time.Location {
	if o.Loc == nil {
		return time.Local
	}
	return o.Loc
}

// ShortTime is the time as tables show it: month-day and time of day, in loc.
func ShortTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format("01-02 15:04:05")
}

// printer writes one kind of record in the chosen format.
type printer struct {
	o         Options
	bw        *bufio.Writer
	table     *Table
	csv       *csv.Writer
	csvHeader []string
	enc       *json.Encoder
	n         int
}

func newPrinter(w io.Writer, o Options, cols []Column, csvHeader []string) *printer {
	p := &printer{o: o, bw: bufio.NewWriterSize(w, 64<<10)}
	switch o.Format {
	case FormatJSON:
		p.enc = json.NewEncoder(p.bw)
		p.enc.SetEscapeHTML(false)
	case FormatCSV:
		p.csv = csv.NewWriter(p.bw)
		p.csvHeader = csvHeader
	default:
		p.table = &Table{Columns: cols, Width: o.Width, Color: o.Color, Cond: o.Cond}
	}
	return p
}

func (p *printer) writeCSVHeader() error {
	if p.csvHeader == nil {
		return nil
	}
	h := p.csvHeader
	p.csvHeader = nil
	return p.csv.Write(h)
}

// add writes one record: rec for JSON, the result of csvRow for CSV, the result of cells for
// a table (held until Flush).
func (p *printer) add(rec func() any, csvRow func() []string, cells func() []string) error {
	p.n++
	switch {
	case p.enc != nil:
		return p.enc.Encode(rec())
	case p.csv != nil:
		if err := p.writeCSVHeader(); err != nil {
			return err
		}
		return p.csv.Write(csvRow())
	}
	p.table.Append(cells()...)
	return nil
}

// Count is the number of records added.
func (p *printer) Count() int { return p.n }

// Flush writes out what is buffered: table rows added since the last Flush (the widths are
// fixed at the first), the CSV header even when there were no records.
func (p *printer) Flush() error {
	switch {
	case p.csv != nil:
		if err := p.writeCSVHeader(); err != nil {
			return err
		}
		p.csv.Flush()
		if err := p.csv.Error(); err != nil {
			return err
		}
	case p.table != nil && p.table.Len() > 0:
		if err := p.table.Flush(p.bw); err != nil {
			return err
		}
	}
	return p.bw.Flush()
}

// messageColumns are the table columns of messages.
func messageColumns(stream bool) []Column {
	cols := []Column{
		{Header: "TIME", Style: Dim},
		{Header: "CHAT", Max: 20},
		{Header: "SENDER", Max: 16, Style: Bold},
		{Header: "KIND", Max: 14},
		{Header: "TEXT", Flex: true},
	}
	if stream {
		cols[1].Min, cols[2].Min, cols[3].Min = 16, 12, 8
	}
	return cols
}

// MessagePrinter prints messages.
type MessagePrinter struct{ *printer }

// NewMessagePrinter prints messages to w. A table's widths are fixed by the rows of the first
// Flush: a stream stays aligned.
func NewMessagePrinter(w io.Writer, o Options) *MessagePrinter {
	return &MessagePrinter{newPrinter(w, o, messageColumns(o.Stream), MessageCSVHeader)}
}

// Add prints (or, for a table, holds until Flush) one message.
func (p *MessagePrinter) Add(m db.LoggedMessage) error {
	loc := p.o.loc()
	rec := NewMessage(m, loc)
	return p.add(func() any { return rec }, rec.CSV, func() []string {
		return []string{ShortTime(m.Time, loc), m.ChatName, m.SenderName, string(m.Kind), m.Text}
	})
}

// RecallPrinter prints recalls with the text they took back.
type RecallPrinter struct{ *printer }

// NewRecallPrinter prints recalls to w.
func NewRecallPrinter(w io.Writer, o Options) *RecallPrinter {
	return &RecallPrinter{newPrinter(w, o, []Column{
		{Header: "TIME", Style: Dim},
		{Header: "CHAT", Max: 20},
		{Header: "WHO", Max: 16, Style: Bold},
		{Header: "SENT", Style: Dim},
		{Header: "ORIGINAL", Flex: true},
	}, RecallCSVHeader)}
}

// NotInLog is what the recalls table shows when the recalled message was never logged.
const NotInLog = "(not in the log)"

// Add prints one recall.
func (p *RecallPrinter) Add(r db.Recall) error {
	loc := p.o.loc()
	rec := NewRecall(r, loc)
	return p.add(func() any { return rec }, rec.CSV, func() []string {
		who := r.Notice.SenderName
		sent, text := "", NotInLog
		if r.Original != nil {
			if who == "" {
				who = r.Original.SenderName
			}
			sent, text = ShortTime(r.Original.Time, loc), r.Original.Text
		}
		if who == "" {
			if m := r.Notice.Message(); m.Recall != nil {
				who = m.Recall.By
			}
		}
		return []string{ShortTime(r.Notice.Time, loc), r.Notice.ChatName, who, sent, text}
	})
}

// RedPacketPrinter prints red packet messages.
type RedPacketPrinter struct{ *printer }

// NewRedPacketPrinter prints red packets to w.
func NewRedPacketPrinter(w io.Writer, o Options) *RedPacketPrinter {
	return &RedPacketPrinter{newPrinter(w, o, []Column{
		{Header: "TIME", Style: Dim},
		{Header: "CHAT", Max: 20},
		{Header: "SENDER", Max: 16, Style: Bold},
		{Header: "WHAT", Max: 16},
		{Header: "TEXT", Flex: true},
	}, MessageCSVHeader)}
}

// Add prints one red packet.
func (p *RedPacketPrinter) Add(m db.LoggedMessage) error {
	loc := p.o.loc()
	rec := NewMessage(m, loc)
	return p.add(func() any { return rec }, rec.CSV, func() []string {
		return []string{ShortTime(m.Time, loc), m.ChatName, m.SenderName, RedPacketWhat(m.Message()), m.Text}
	})
}

// RedPacketWhat says which money message it is: received, sent, collection, with the amount
// when the message has one.
func RedPacketWhat(m *wx.Message) string {
	what := m.Description
	if m.Amount != "" {
		if what != "" {
			what += " "
		}
		what += m.Amount
	}
	return what
}

// StatPrinter prints `log stats` groups.
type StatPrinter struct {
	*printer
	by    db.StatsBy
	total int64
}

// NewStatPrinter prints stats grouped by `by` to w.
func NewStatPrinter(w io.Writer, o Options, by db.StatsBy) *StatPrinter {
	var cols []Column
	switch by {
	case db.ByChat, db.BySender:
		cols = []Column{{Header: map[db.StatsBy]string{db.ByChat: "CHAT", db.BySender: "SENDER"}[by], Max: 30, Style: Bold}, {Header: "ID"}}
	case db.ByKind:
		cols = []Column{{Header: "KIND"}}
	default:
		cols = []Column{{Header: "DAY"}}
	}
	cols = append(cols, Column{Header: "MESSAGES", Right: true}, Column{Header: "FIRST", Style: Dim}, Column{Header: "LAST", Style: Dim})
	return &StatPrinter{printer: newPrinter(w, o, cols, StatCSVHeader), by: by}
}

// Add prints one group.
func (p *StatPrinter) Add(s db.Stat) error {
	loc := p.o.loc()
	rec := NewStat(p.by, s, loc)
	p.total += s.Count
	return p.add(func() any { return rec }, rec.CSV, func() []string {
		short := func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.In(loc).Format("2006-01-02 15:04")
		}
		cells := []string{s.Name}
		if p.by == db.ByChat || p.by == db.BySender {
			name := s.Name
			if name == "" {
				name = "(none)"
			}
			cells = []string{name, s.Key}
		}
		return append(cells, strconv.FormatInt(s.Count, 10), short(s.First), short(s.Last))
	})
}

// Flush writes the groups, and under a table with several groups their total.
func (p *StatPrinter) Flush() error {
	if p.table != nil && p.n > 1 {
		cells := []string{"total"}
		if p.by == db.ByChat || p.by == db.BySender {
			cells = append(cells, "")
		}
		p.table.Append(append(cells, strconv.FormatInt(p.total, 10))...)
	}
	return p.printer.Flush()
}

// Plural is "1 message", "2 messages".
func Plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
