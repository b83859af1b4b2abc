//! Uploaded photos: kept under `<data-dir>/uploads/`, named by the SHA-256 of their bytes, and
//! recognised by their bytes (JPEG, PNG, WebP, HEIC), never by a file name.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::ai::Image;

/// The largest photo accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Heic,
}

impl Format {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
            Self::Heic => "image/heic",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
            Self::Heic => "heic",
        }
    }

    fn from_extension(ext: &str) -> Option<Self> {
        [Self::Jpeg, Self::Png, Self::Webp, Self::Heic]
            .into_iter()
            .find(|f| f.extension() == ext)
    }
}

/// The format the bytes are in, from their signature.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Format::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Format::Png);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some(Format::Webp);
    }
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        let brand = &bytes[8..12];
        let heif: [&[u8]; 7] = [
            b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1",
        ];
        if heif.contains(&brand) {
            return Some(Format::Heic);
        }
    }
    None
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("the photo is larger than 10 MB")]
    TooLarge,
    #[error("this is not a photo cartwise can read: send a JPEG, PNG, WebP or HEIC image")]
    NotAnImage,
    #[error("there is no photo '{0}'")]
    NotFound(String),
    #[error("the photo could not be stored: {0}")]
    Io(#[from] std::io::Error),
}

/// The uploads folder.
#[derive(Debug, Clone)]
pub struct Uploads {
    dir: PathBuf,
}

impl Uploads {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("uploads"),
        }
    }

    /// Whether `id` has the form of an image id (`<64 hex>.<ext>`).
    pub fn valid_id(id: &str) -> bool {
        let Some((hash, ext)) = id.split_once('.') else {
            return false;
        };
        hash.len() == 64
            && hash
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            && Format::from_extension(ext).is_some()
    }

    /// Stores a photo and returns its id; the same bytes always get the same id. Blocking.
    pub fn save(&self, bytes: &[u8]) -> Result<String, UploadError> {
        if bytes.len() > MAX_BYTES {
            return Err(UploadError::TooLarge);
        }
        let format = sniff(bytes).ok_or(UploadError::NotAnImage)?;
        let hash: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let id = format!("{hash}.{}", format.extension());
        let path = self.dir.join(&id);
        if !path.exists() {
            std::fs::create_dir_all(&self.dir)?;
            let partial = self.dir.join(format!(".{id}.partial"));
            let mut file = std::fs::File::create(&partial)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&partial, &path)?;
        }
        Ok(id)
    }

    /// Reads a stored photo. Blocking.
    pub fn load(&self, id: &str) -> Result<Image, UploadError> {
        let format = id
            .rsplit_once('.')
            .and_then(|(_, ext)| Format::from_extension(ext))
            .filter(|_| Self::valid_id(id))
            .ok_or_else(|| UploadError::NotFound(id.to_string()))?;
        match std::fs::read(self.dir.join(id)) {
            Ok(bytes) => Ok(Image::new(format.mime(), bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(UploadError::NotFound(id.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_known_by_their_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Format::Png));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Some(Format::Heic));
        assert_eq!(sniff(b"GIF89a......"), None);
        assert_eq!(sniff(b"hello"), None);
    }

    #[test]
    fn saved_by_hash_and_loaded_back() {
        let dir = tempfile::tempdir().unwrap();
        let uploads = Uploads::new(dir.path());
        let bytes = b"\x89PNG\r\n\x1a\nsome png bytes".to_vec();
        let id = uploads.save(&bytes).unwrap();
        assert!(Uploads::valid_id(&id), "{id}");
        assert!(id.ends_with(".png"));
        assert_eq!(
            uploads.save(&bytes).unwrap(),
            id,
            "the same bytes, the same id"
        );
        let image = uploads.load(&id).unwrap();
        assert_eq!(
            (image.mime.as_str(), image.bytes.len()),
            ("image/png", bytes.len())
        );
        assert!(matches!(
            uploads.load("../etc/passwd"),
            Err(UploadError::NotFound(_))
        ));
    }
}
