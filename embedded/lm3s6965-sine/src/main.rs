//! The sine network on an LM3S6965 (Cortex-M3, 256 KiB flash, 64 KiB RAM), run under QEMU.
//!
//! The weights, trained on the host by `cargo run --release --example sine_weights` in the
//! repository, are baked in at compile time: `weights: "../sine.safetensors"` makes
//! `Sine::<f32>::BAKED` a constant, and the `static` below keeps it in flash. The program
//! predicts `sin(x)` for ten points of `[0, 2 pi]`, prints predicted, exact and error over
//! semihosting, reports the stack's high-water mark (the stack is painted with a pattern
//! before the predictions and scanned after them), and exits through semihosting: success if
//! every error is at most 0.05, failure otherwise (or on a panic).
//!
//! Numbers are printed by a small fixed-point printer, or by `core::fmt` with the
//! `fmt-float` feature (about 12 kB more flash).

#![no_std]
#![no_main]

use core::ptr::addr_of;

use cortex_m_rt::entry;
use cortex_m_semihosting::{debug, hio};
use nn::nalgebra::SVector;

nn::network! {
    /// `sin(x)` for `x` in `[0, 2 pi]`: the lines of TensorFlow Lite Micro's "hello world".
    pub struct Sine {
        input: 1,
        hidden1: dense(16) -> tanh,
        hidden2: dense(16) -> tanh,
        output: dense(1),
        loss: mse,
        weights: "../sine.safetensors",
    }
}

/// The trained network, in flash.
static NET: Sine<f32> = Sine::<f32>::BAKED;

/// The largest error accepted on `[0, 2 pi]`.
const BOUND: f32 = 0.05;

/// `(x, sin x)` at `x = 2 pi i / 9`, `i = 0..=9`, the exact values computed in double
/// precision on the host and rounded to `f32` (a `sin` here would cost flash and be itself
/// an approximation).
const POINTS: [(f32, f32); 10] = [
    (0.0, 0.0),
    (0.6981317, 0.64278764),
    (1.3962634, 0.9848077),
    (2.0943952, 0.8660254),
    (2.7925267, 0.34202015),
    (3.4906585, -0.34202015),
    (4.1887903, -0.8660254),
    (4.886922, -0.9848077),
    (5.5850534, -0.64278764),
    (6.2831855, -2.4492937e-16),
];

/// The word the unused stack is painted with.
const PAINT: u32 = 0xC0DE_C0DE;
/// How far below the stack pointer at the start of `main` painting starts: the painter's own
/// frame lives there.
const MARGIN: usize = 256;

extern "C" {
    /// The top of the stack (cortex-m-rt's linker script).
    static _stack_start: u32;
    /// The end of `.bss` and `.uninit`: the lowest address the stack may grow to.
    static __sheap: u32;
}

#[entry]
fn main() -> ! {
    let Ok(mut out) = hio::hstdout() else { fail() };
    let floor = addr_of!(__sheap) as usize;
    let top = addr_of!(_stack_start) as usize;
    paint(floor, cortex_m::register::msp::read() as usize - MARGIN);

    let mut worst = 0.0f32;
    let mut line = Line::new();
    for &(x, exact) in &POINTS {
        let predicted = predict(x);
        let error = (predicted - exact).abs();
        worst = worst.max(error);
        line.text("x ");
        line.number(x);
        line.text("  predicted ");
        line.number(predicted);
        line.text("  exact ");
        line.number(exact);
        line.text("  error ");
        line.number(error);
        line.send(&mut out);
    }

    let used = top - unpainted_from(floor, top);
    line.text("stack high-water mark: ");
    line.count(used);
    line.text(" bytes");
    line.send(&mut out);
    line.text("largest error ");
    line.number(worst);
    line.text(if worst <= BOUND { " <= 0.05: pass" } else { " > 0.05: FAIL" });
    line.send(&mut out);

    debug::exit(if worst <= BOUND { debug::EXIT_SUCCESS } else { debug::EXIT_FAILURE });
    halt()
}

/// The network's output for `x`, out of line so that its frame is measured as a caller's.
#[inline(never)]
fn predict(x: f32) -> f32 {
    NET.forward(&SVector::from([x]))[0]
}

/// Writes the pattern over `[from, to)`, word by word.
#[inline(never)]
fn paint(from: usize, to: usize) {
    let mut p = from & !3;
    while p + 4 <= to {
        // SAFETY: `[from, to)` is RAM between the end of `.bss` and the stack pointer (less
        // a margin), which nothing uses yet; the writes are word-aligned.
        unsafe { (p as *mut u32).write_volatile(PAINT) };
        p += 4;
    }
}

/// The lowest address above `from` whose word no longer holds the pattern: how deep the stack
/// has been.
#[inline(never)]
fn unpainted_from(from: usize, top: usize) -> usize {
    let mut p = from & !3;
    // SAFETY: reads of word-aligned RAM between the end of `.bss` and the top of the stack.
    while p < top && unsafe { (p as *const u32).read_volatile() } == PAINT {
        p += 4;
    }
    p
}

/// Ends the program as failed (QEMU exits with a non-zero status).
fn fail() -> ! {
    debug::exit(debug::EXIT_FAILURE);
    halt()
}

/// Sleeps for ever: what is left after a semihosting exit when no debugger ends the program.
fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    fail()
}

/// One line of output, built in a buffer and sent in one semihosting call.
struct Line {
    bytes: [u8; 120],
    len: usize,
}

impl Line {
    fn new() -> Self {
        Line { bytes: [0; 120], len: 0 }
    }

    fn text(&mut self, s: &str) {
        for &b in s.as_bytes() {
            if self.len < self.bytes.len() {
                self.bytes[self.len] = b;
                self.len += 1;
            }
        }
    }

    /// An unsigned integer in decimal.
    fn count(&mut self, mut n: usize) {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            self.text(core::str::from_utf8(&[d]).unwrap_or("?"));
        }
    }

    /// A number with four decimals, `-0.6428`, by the fixed-point printer: rounded to the
    /// nearest ten-thousandth, then the integer and the fraction printed as integers.
    #[cfg(not(feature = "fmt-float"))]
    fn number(&mut self, v: f32) {
        if !v.is_finite() {
            self.text("NaN or infinite");
            return;
        }
        let scaled = v * 10_000.0;
        let rounded = if scaled < 0.0 { scaled - 0.5 } else { scaled + 0.5 } as i64;
        if rounded < 0 {
            self.text("-");
        } else {
            self.text(" ");
        }
        let magnitude = rounded.unsigned_abs() as usize;
        self.count(magnitude / 10_000);
        self.text(".");
        let fraction = magnitude % 10_000;
        for place in [1000, 100, 10, 1] {
            let digit = [b'0' + (fraction / place % 10) as u8];
            self.text(core::str::from_utf8(&digit).unwrap_or("?"));
        }
    }

    /// A number to four decimals, `-0.6428`, by `core::fmt`: rounded to the nearest
    /// ten-thousandth first and printed in the shortest form that reads back the same. (A
    /// precision, `{:.4}`, would take `core::fmt`'s exact mode, whose digit buffer alone is
    /// 1 kB of stack.)
    #[cfg(feature = "fmt-float")]
    fn number(&mut self, v: f32) {
        use core::fmt::Write;
        let scaled = v * 10_000.0;
        let rounded = if scaled < 0.0 { scaled - 0.5 } else { scaled + 0.5 } as i64;
        let _ = write!(self, "{:>7}", rounded as f32 / 10_000.0);
    }

    /// Sends the line and a newline, and empties the buffer.
    fn send(&mut self, out: &mut hio::HostStream) {
        self.text("\n");
        if out.write_all(&self.bytes[..self.len]).is_err() {
            fail();
        }
        self.len = 0;
    }
}

#[cfg(feature = "fmt-float")]
impl core::fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.text(s);
        Ok(())
    }
}
