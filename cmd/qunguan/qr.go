package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sirupsen/logrus"
	"github.com/skip2/go-qrcode"

	"qunguan/wx"
)

// qrShower returns the wx.Options.QR callback: it saves the code as a PNG in dataDir (for
// people running qunguan on a server, who copy the file) and draws it on the terminal when
// there is one.
func qrShower(account, dataDir string, term io.Writer, log *logrus.Entry) func(context.Context, wx.QRCode) {
	return func(_ context.Context, qr wx.QRCode) {
		code, err := qrcode.New(qr.URL, qrcode.Medium)
		if err != nil {
			log.WithError(err).Error("could not make the QR code")
			return
		}
		path := filepath.Join(dataDir, "qr-"+account+".png")
		if err := os.MkdirAll(dataDir, 0o755); err == nil {
			err = code.WriteFile(320, path)
		}
		if err != nil {
			log.WithError(err).WithField("path", path).Warn("could not save the QR code image")
			path = ""
		}
		if term != nil {
			fmt.Fprintf(term, "\nScan this QR code with WeChat on the phone to log in account %q (code %d):\n\n%s\n", account, qr.N, code.ToSmallString(false))
		}
		log.WithFields(logrus.Fields{"png": path, "url": qr.URL, "code": qr.N}).Info("waiting for the QR code to be scanned")
	}
}
