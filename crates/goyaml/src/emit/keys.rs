//! `yaml.v2`'s map key order.
//!
//! `yaml.v2` does not sort keys bytewise: letters sort before other
//! characters, and runs of digits compare by numeric value, so `a2` comes
//! before `a10`. After the JSON round trip every key is a string.
//! `yaml.v3` refines one rule: where a letter meets a non-letter right after
//! a run of equal digits, the letter sorts first (`0o17` before `0777`).

use std::cmp::Ordering;

use super::writer::Flavor;

/// Go's `unicode.IsLetter` (close enough outside the Latin ranges).
fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

/// Go's `unicode.IsDigit`.
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric())
}

/// `yaml.v2`'s `keyList.Less` for two string keys.
pub fn key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    chars_less(&ar, &br, Flavor::V2)
}

/// `keyList.Less` of the given encoder over keys already split into characters.
fn chars_less(ar: &[char], br: &[char], flavor: Flavor) -> bool {
    // yaml.v3: whether the characters just compared equal were digits.
    let mut after_digit = false;
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            after_digit = is_digit(ar[i]);
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if after_digit && flavor == Flavor::V3Pretty {
                al
            } else {
                bl
            };
        }
        let (mut an, mut bn): (i64, i64) = (0, 0);
        if ar[i] == '0' || br[i] == '0' {
            // A zero continuing a non-zero number is part of that number's value.
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1]) {
                j -= 1;
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an.wrapping_mul(10).wrapping_add(ar[ai] as i64 - '0' as i64);
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi] as i64 - '0' as i64);
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Sort keys into the order the given encoder writes them.
pub fn sort_keys(keys: &mut [&String], flavor: Flavor) {
    // Keys made of ASCII letters only compare the same bytewise and
    // naturally, and JSON maps arrive sorted bytewise: nothing to do.
    if keys
        .iter()
        .all(|k| k.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        keys.sort_unstable();
        return;
    }
    // Split each key into characters once, not at every comparison.
    let mut decorated: Vec<(Vec<char>, &String)> =
        keys.iter().map(|k| (k.chars().collect(), *k)).collect();
    // Go's sort.Sort is not stable, but distinct strings never compare equal
    // both ways here, so any correct sort gives Go's order.
    decorated.sort_by(|(a, _), (b, _)| {
        if chars_less(a, b, flavor) {
            Ordering::Less
        } else if chars_less(b, a, flavor) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    });
    for (slot, (_, key)) in keys.iter_mut().zip(decorated) {
        *slot = key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(keys: &[&str]) -> Vec<String> {
        let owned: Vec<String> = keys.iter().map(|s| s.to_string()).collect();
        let mut refs: Vec<&String> = owned.iter().collect();
        sort_keys(&mut refs, Flavor::V2);
        refs.into_iter().cloned().collect()
    }

    #[test]
    fn digits_compare_by_value_and_letters_last() {
        assert_eq!(sorted(&["a10", "a2", "a1"]), ["a1", "a2", "a10"]);
        assert_eq!(sorted(&["_x", "b", "A", "1"]), ["_x", "1", "A", "b"]);
        assert_eq!(
            sorted(&["ab", "a", "a-b", "a_b"]),
            ["a", "a-b", "a_b", "ab"]
        );
    }
}
