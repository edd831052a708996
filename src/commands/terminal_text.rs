//! A task's output on the terminal of whoever watches it: its text and colours, without the
//! escapes that act on the terminal itself or hide what was printed.
//!
//! The task is not trusted, and `axiom client tail` or `output` (or `--command`) write what it
//! printed to the user's own terminal. An escape there could set the window's title, write the
//! clipboard (OSC 52: the user's next paste), show a link that opens somewhere else than it says
//! (OSC 8), make the terminal answer with text that the shell then reads as typed (device status,
//! attributes and window reports), or move the cursor and erase to hide the lines it printed. So,
//! as `less -R` does, only text, line breaks, tabs and SGR colours reach a terminal; every other
//! escape and control character is dropped. What could still hide text is made visible: a carriage
//! return that would draw over a line starts a new one (`rm -rf ~\rall good`), concealed text (SGR
//! 8) is shown, and the characters that reorder text (bidirectional overrides and isolates) are
//! dropped. To a pipe or a file the bytes pass as they are, and `--raw` passes them to a terminal
//! too.

use std::io::Write as _;

use vte::{Params, Parser, Perform};

/// One stream's filter: an escape split across two chunks is still recognised.
#[derive(Default)]
pub struct TerminalText {
    parser: Parser,
    shown: Shown,
}

#[derive(Default)]
struct Shown {
    bytes: Vec<u8>,
    /// A carriage return was read, and what follows decides: a line feed ends the line as usual,
    /// anything else would draw over it, so it starts a new line instead.
    carriage_return: bool,
}

impl Shown {
    fn settle_carriage_return(&mut self) {
        if std::mem::take(&mut self.carriage_return) {
            self.bytes.push(b'\n');
        }
    }
}

/// Characters that reorder the text around them as a terminal or editor shows it.
fn reorders_text(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// SGR 8, concealed text, among `params` (not the 8 of a colour: `38;5;8`).
fn conceals(params: &Params) -> bool {
    let mut params = params.iter();
    while let Some(param) = params.next() {
        match param {
            [8] => return true,
            // An extended colour in separate parameters: `38;5;N`, `38;2;R;G;B`.
            [38 | 48 | 58] => match params.next() {
                Some([5]) => {
                    params.next();
                }
                Some([2]) => {
                    params.nth(2);
                }
                _ => {}
            },
            _ => {}
        }
    }
    false
}

impl TerminalText {
    /// What of `bytes` may be shown on a terminal.
    pub fn filter(&mut self, bytes: &[u8]) -> &[u8] {
        self.shown.bytes.clear();
        self.parser.advance(&mut self.shown, bytes);
        &self.shown.bytes
    }
}

impl Perform for Shown {
    fn print(&mut self, c: char) {
        self.settle_carriage_return();
        if reorders_text(c) {
            return;
        }
        let mut utf8 = [0; 4];
        self.bytes.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\n' => {
                if std::mem::take(&mut self.carriage_return) {
                    self.bytes.push(b'\r');
                }
                self.bytes.push(b'\n');
            }
            b'\r' => {
                self.settle_carriage_return();
                self.carriage_return = true;
            }
            b'\t' => {
                self.settle_carriage_return();
                self.bytes.push(b'\t');
            }
            _ => {}
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        // Select Graphic Rendition (colours, bold) only: no private marker, nothing cut off,
        // nothing concealed.
        if action != 'm' || !intermediates.is_empty() || ignore || conceals(params) {
            return;
        }
        self.settle_carriage_return();
        self.bytes.extend_from_slice(b"\x1b[");
        for (index, param) in params.iter().enumerate() {
            if index > 0 {
                self.bytes.push(b';');
            }
            for (sub, value) in param.iter().enumerate() {
                if sub > 0 {
                    self.bytes.push(b':');
                }
                let _ = write!(self.bytes, "{value}");
            }
        }
        self.bytes.push(b'm');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(chunks: &[&[u8]]) -> Vec<u8> {
        let mut filter = TerminalText::default();
        chunks.iter().flat_map(|chunk| filter.filter(chunk).to_vec()).collect()
    }

    #[test]
    fn text_and_colours_pass_and_escapes_that_act_on_the_terminal_do_not() {
        let colour = b"\x1b[1;31merror\x1b[0m: 3 failed\r\n\tat x\x1b[38:2:255:0:0mred\x1b[38;5;8mgrey\x1b[0m\n";
        assert_eq!(shown(&[colour]), colour.to_vec());
        assert_eq!(shown(&[b"\x1b[m"]), b"\x1b[0m".to_vec(), "the same reset, written out");
        for (hostile, left) in [
            (&b"\x1b]52;c;cm0gLXJmIH4=\x07ok\n"[..], &b"ok\n"[..]),
            (b"\x1b]0;title\x1b\\a\n", b"a\n"),
            (b"\x1b]8;;https://evil\x1b\\docs\x1b]8;;\x1b\\\n", b"docs\n"),
            (b"\x1b[6n\x1b[c\x1b[21t\x1b[>c", b""),
            (b"rm -rf ~\x1b[1A\x1b[2K\x1b[1Gall good\n", b"rm -rf ~all good\n"),
            // Drawn over, concealed, or reordered: shown as printed.
            (b"rm -rf ~\r          \rall good\n", b"rm -rf ~\n          \nall good\n"),
            (b"\x1b[8mrm -rf ~\x1b[0m\n", b"rm -rf ~\x1b[0m\n"),
            (b"\x1b[1;8;31mx\n", b"x\n"),
            ("safe\u{202e}fr- mr\u{2066}\n".as_bytes(), b"safefr- mr\n"),
            (b"\x1bP+q544e\x1b\\\x1b_app\x1b\\\x1b^pm\x1b\\x", b"x"),
            (b"bell\x07\x08\x0e\n", b"bell\n"),
            (b"\x1b[?1049h\x1b[?25l", b""),
            // A C1 control (here CSI as one byte) is dropped, and starts nothing.
            (b"\x9b6n", b"6n"),
            ("héllo ✓\n".as_bytes(), "héllo ✓\n".as_bytes()),
        ] {
            assert_eq!(shown(&[hostile]), left.to_vec(), "{:?}", String::from_utf8_lossy(hostile));
        }
    }

    #[test]
    fn a_carriage_return_that_ends_a_line_stays_and_one_split_from_its_line_feed_too() {
        assert_eq!(shown(&[b"a\r\nb\r\n"]), b"a\r\nb\r\n".to_vec());
        assert_eq!(shown(&[b"50%\r", b"\n"]), b"50%\r\n".to_vec());
        assert_eq!(shown(&[b"50%\r", b"100%\n"]), b"50%\n100%\n".to_vec());
    }

    #[test]
    fn an_escape_split_between_chunks_is_still_dropped() {
        assert_eq!(shown(&[b"a\x1b]52;c;", b"cm0g\x07b\x1b[", b"31mc"]), b"ab\x1b[31mc".to_vec());
    }
}
