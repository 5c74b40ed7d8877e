//! The CSV files that list Windows Autopilot devices for registration, as `Get-WindowsAutopilotInfo` writes them
//! and the Intune portal's *Import* step reads them, in two forms:
//! - the Intune form: `Device Serial Number,Windows Product ID,Hardware Hash`, optionally `Group Tag` and
//!   `Assigned User` (the script's `-GroupTag` and `-AssignedUser`);
//! - the Partner Center form (the script's `-Partner`): `Device Serial Number,Windows Product ID,Hardware
//!   Hash,Manufacturer name,Device model`, which Partner Center's own template spells `Device serial
//!   number,Windows product ID,Hardware hash,...`.
//!
//! How headers are matched, and why: the two spellings of the Partner Center headers above are both in use
//! (Microsoft's script and Partner Center's template differ only in case), and Microsoft's own importer
//! (`Import-AutopilotCSV` in the WindowsAutopilotIntune module) reads the file with PowerShell's `Import-Csv`, whose
//! column names are looked up without regard to case. So headers are compared ignoring ASCII case and surrounding
//! blanks, in any order. That the portal does the same is observed (files with either spelling import), not
//! documented. A column we do not know is refused rather than ignored: Microsoft's CSV instructions say not to add
//! columns, and a misspelt `Group Tag` would otherwise silently register devices without their tag.
//!
//! Cells: RFC 4180 (fields separated by `,`, records by CRLF or LF, a field in double quotes may hold `,`, line
//! breaks and `""` for a quote). The script itself strips every quote from its output, so quoting only appears in
//! files edited by hand or by Excel. Surrounding blanks are trimmed and a blank cell means "not set" (the script
//! writes empty cells for an absent product ID, group tag or user). Empty lines are skipped, as Excel leaves them.
//!
//! Rows are checked as Intune would refuse them, so a bad file fails at plan time naming the row (as a
//! spreadsheet numbers it: the header is row 1) and the column: a row needs a serial number or a product ID (803);
//! the Intune form needs a hardware hash (802), and any hash must pass [`hardware_hash::check`]; an assigned user
//! must be a UPN; a serial number may appear once (Intune compares serial numbers without regard to case or
//! surrounding blanks, 806 for the second).
//!
//! [`decode`] turns the bytes of a file into text: PowerShell 5's `Out-File` writes UTF-16 LE with a byte order
//! mark by default, which Terraform's `file()` cannot read.

use std::fmt;

use super::{hardware_hash, upn};

/// One device of the file. Every property is `None` when its column is absent or its cell blank.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    pub serial_number: Option<String>,
    pub product_key: Option<String>,
    pub hardware_hash: Option<String>,
    pub group_tag: Option<String>,
    pub assigned_user: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
}

/// Which of the two layouts a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Intune,
    PartnerCenter,
}

/// Why a file is refused: what is wrong and where. Rows and columns count from 1, the header being row 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub row: Option<usize>,
    /// The column's number and its header as the file spells it (or the header it should have).
    pub column: Option<(usize, String)>,
    pub message: String,
}

impl CsvError {
    fn file(message: impl Into<String>) -> CsvError {
        CsvError {
            row: None,
            column: None,
            message: message.into(),
        }
    }

    fn row(row: usize, message: impl Into<String>) -> CsvError {
        CsvError {
            row: Some(row),
            column: None,
            message: message.into(),
        }
    }

    fn cell(row: usize, column: usize, header: &str, message: impl Into<String>) -> CsvError {
        CsvError {
            row: Some(row),
            column: Some((column, header.to_string())),
            message: message.into(),
        }
    }
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.row, &self.column) {
            (Some(row), Some((column, header))) => {
                write!(f, "row {row}, column {column} ({header:?}): ")?
            }
            (Some(row), None) => write!(f, "row {row}: ")?,
            _ => {}
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for CsvError {}

/// The columns either form may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    SerialNumber,
    ProductKey,
    HardwareHash,
    GroupTag,
    AssignedUser,
    Manufacturer,
    Model,
}

/// Each column with the header Get-WindowsAutopilotInfo writes for it.
const COLUMNS: [(Column, &str); 7] = [
    (Column::SerialNumber, "Device Serial Number"),
    (Column::ProductKey, "Windows Product ID"),
    (Column::HardwareHash, "Hardware Hash"),
    (Column::GroupTag, "Group Tag"),
    (Column::AssignedUser, "Assigned User"),
    (Column::Manufacturer, "Manufacturer name"),
    (Column::Model, "Device model"),
];

fn header_of(column: Column) -> &'static str {
    COLUMNS
        .iter()
        .find(|(c, _)| *c == column)
        .map(|(_, h)| *h)
        .unwrap_or_default()
}

/// Reads the text of an Autopilot CSV file into its devices, in file order.
pub fn parse(text: &str) -> Result<Vec<Device>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(offset) = text.find('\0') {
        let row = text[..offset].matches('\n').count() + 1;
        return Err(CsvError::row(
            row,
            "the text contains NUL characters: is it UTF-16 without a byte order mark? Save it as UTF-8, or pass \
             the file through filebase64() and decode_autopilot_csv(), which reads UTF-16 with a byte order mark",
        ));
    }
    let records = records(text)?;
    let mut records = records.into_iter().filter(|r| !r.is_blank());
    let header = records
        .next()
        .ok_or_else(|| CsvError::file("the file is empty: it has no header row"))?;
    let layout = Layout::from_header(&header)?;
    let mut devices: Vec<(usize, Device)> = Vec::new();
    for record in records {
        let device = layout.device(&record)?;
        if let Some(serial) = &device.serial_number
            && let Some((first_row, _)) = devices.iter().find(|(_, d)| {
                d.serial_number
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(serial))
            })
        {
            let (column, header) = layout.position(Column::SerialNumber);
            return Err(CsvError::cell(
                record.row,
                column,
                header,
                format!(
                    "serial number {serial:?} is already on row {first_row} (Intune compares serial numbers \
                     without regard to case, and refuses the second with error 806)"
                ),
            ));
        }
        devices.push((record.row, device));
    }
    Ok(devices.into_iter().map(|(_, d)| d).collect())
}

/// Decodes the bytes of a CSV file: UTF-16 LE or BE with a byte order mark (what PowerShell 5's `Out-File` writes),
/// or UTF-8 with or without one.
pub fn decode(bytes: &[u8]) -> Result<String, CsvError> {
    let utf16 = |rest: &[u8], from: fn([u8; 2]) -> u16, name: &str| {
        if !rest.len().is_multiple_of(2) {
            return Err(CsvError::file(format!(
                "the file starts with a {name} byte order mark but has an odd number of bytes; it is cut short"
            )));
        }
        let units = rest.chunks_exact(2).map(|pair| from([pair[0], pair[1]]));
        char::decode_utf16(units)
            .enumerate()
            .map(|(index, c)| {
                c.map_err(|_| {
                    CsvError::file(format!(
                        "the file is not valid {name}: an unpaired surrogate at byte {}",
                        2 + index * 2
                    ))
                })
            })
            .collect()
    };
    match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes, "UTF-16 LE"),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes, "UTF-16 BE"),
        [0xEF, 0xBB, 0xBF, rest @ ..] => utf8(rest, 3),
        _ => utf8(bytes, 0),
    }
}

fn utf8(bytes: &[u8], offset: usize) -> Result<String, CsvError> {
    String::from_utf8(bytes.to_vec()).map_err(|e| {
        CsvError::file(format!(
            "the file is neither UTF-8 nor UTF-16 with a byte order mark (invalid UTF-8 at byte {}); save it as \
             UTF-8 or as Unicode (UTF-16)",
            offset + e.utf8_error().valid_up_to()
        ))
    })
}

/// One record of the file with the row it starts on.
struct Record {
    row: usize,
    cells: Vec<String>,
}

impl Record {
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.trim().is_empty())
    }
}

/// Splits text into records of raw cells (quotes resolved, blanks kept), by RFC 4180.
fn records(text: &str) -> Result<Vec<Record>, CsvError> {
    let mut records = Vec::new();
    let mut chars = text.chars().peekable();
    let mut row = 1;
    while chars.peek().is_some() {
        let start_row = row;
        let mut cells = Vec::new();
        let mut cell = String::new();
        let mut quoted = false;
        loop {
            match chars.next() {
                None => {
                    cells.push(std::mem::take(&mut cell));
                    break;
                }
                Some('"') if cell.trim().is_empty() && !quoted => {
                    // A quoted cell: read to its closing quote, which must end the cell.
                    cell.clear();
                    quoted = true;
                    let column = cells.len() + 1;
                    loop {
                        match chars.next() {
                            None => {
                                return Err(CsvError::row(
                                    start_row,
                                    format!(
                                        "the quote that opens column {column} is never closed (write a quote \
                                         inside a quoted cell as \"\")"
                                    ),
                                ));
                            }
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                cell.push('"');
                            }
                            Some('"') => break,
                            Some(c) => {
                                if c == '\n' {
                                    row += 1;
                                }
                                cell.push(c);
                            }
                        }
                    }
                    while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
                        chars.next();
                    }
                    match chars.peek() {
                        None | Some(',' | '\r' | '\n') => {}
                        Some(_) => {
                            return Err(CsvError::row(
                                row,
                                format!(
                                    "column {column} has text after its closing quote (quote the whole cell, \
                                     and write a quote inside it as \"\")"
                                ),
                            ));
                        }
                    }
                }
                Some('"') => {
                    return Err(CsvError::row(
                        row,
                        format!(
                            "column {} has a quote inside an unquoted cell (quote the whole cell, and write the \
                             quote as \"\")",
                            cells.len() + 1
                        ),
                    ));
                }
                Some(',') => {
                    cells.push(std::mem::take(&mut cell));
                    quoted = false;
                }
                Some('\r') if chars.peek() == Some(&'\n') => {}
                Some('\n' | '\r') => {
                    cells.push(std::mem::take(&mut cell));
                    row += 1;
                    break;
                }
                Some(c) => cell.push(c),
            }
        }
        records.push(Record {
            row: start_row,
            cells,
        });
    }
    Ok(records)
}

/// Which column of the file holds what.
struct Layout {
    form: Form,
    /// Per position in the file: the column and the header as the file spells it.
    columns: Vec<(Column, String)>,
}

impl Layout {
    fn from_header(header: &Record) -> Result<Layout, CsvError> {
        let mut columns: Vec<(Column, String)> = Vec::new();
        for (index, raw) in header.cells.iter().enumerate() {
            let name = raw.trim();
            let position = index + 1;
            let Some((column, _)) = COLUMNS
                .iter()
                .find(|(_, known)| known.eq_ignore_ascii_case(name))
            else {
                let known: Vec<String> = COLUMNS.iter().map(|(_, h)| format!("{h:?}")).collect();
                return Err(CsvError::cell(
                    header.row,
                    position,
                    name,
                    format!(
                        "{name:?} is not a column of an Autopilot CSV; the columns are {} (in any case)",
                        known.join(", ")
                    ),
                ));
            };
            if let Some(first) = columns.iter().position(|(c, _)| c == column) {
                return Err(CsvError::cell(
                    header.row,
                    position,
                    name,
                    format!("the column {name:?} is already column {}", first + 1),
                ));
            }
            columns.push((*column, name.to_string()));
        }
        let has = |column: Column| columns.iter().any(|(c, _)| *c == column);
        for required in [
            Column::SerialNumber,
            Column::ProductKey,
            Column::HardwareHash,
        ] {
            if !has(required) {
                return Err(CsvError::row(
                    header.row,
                    format!(
                        "the header has no {:?} column; an Autopilot CSV starts with \"Device Serial \
                         Number,Windows Product ID,Hardware Hash\"",
                        header_of(required)
                    ),
                ));
            }
        }
        let partner = has(Column::Manufacturer) || has(Column::Model);
        if partner {
            for (required, other) in [
                (Column::Manufacturer, Column::Model),
                (Column::Model, Column::Manufacturer),
            ] {
                if !has(required) {
                    return Err(CsvError::row(
                        header.row,
                        format!(
                            "the header has {:?} but no {:?}; the Partner Center form has both",
                            header_of(other),
                            header_of(required)
                        ),
                    ));
                }
            }
            if let Some(index) = columns
                .iter()
                .position(|(c, _)| matches!(c, Column::GroupTag | Column::AssignedUser))
            {
                return Err(CsvError::cell(
                    header.row,
                    index + 1,
                    &columns[index].1,
                    "the Partner Center form (with \"Manufacturer name\" and \"Device model\") has no group tag \
                     or assigned user; these belong to the Intune form",
                ));
            }
        }
        Ok(Layout {
            form: if partner {
                Form::PartnerCenter
            } else {
                Form::Intune
            },
            columns,
        })
    }

    fn position(&self, column: Column) -> (usize, &str) {
        self.columns
            .iter()
            .position(|(c, _)| *c == column)
            .map(|i| (i + 1, self.columns[i].1.as_str()))
            .unwrap_or((0, header_of(column)))
    }

    fn device(&self, record: &Record) -> Result<Device, CsvError> {
        if record.cells.len() != self.columns.len() {
            return Err(CsvError::row(
                record.row,
                format!(
                    "the row has {} cells but the header has {} columns",
                    record.cells.len(),
                    self.columns.len()
                ),
            ));
        }
        let mut device = Device::default();
        for ((column, _), cell) in self.columns.iter().zip(&record.cells) {
            let value = Some(cell.trim().to_string()).filter(|v| !v.is_empty());
            let slot = match column {
                Column::SerialNumber => &mut device.serial_number,
                Column::ProductKey => &mut device.product_key,
                Column::HardwareHash => &mut device.hardware_hash,
                Column::GroupTag => &mut device.group_tag,
                Column::AssignedUser => &mut device.assigned_user,
                Column::Manufacturer => &mut device.manufacturer,
                Column::Model => &mut device.model,
            };
            *slot = value;
        }
        let at = |column: Column, message: String| {
            let (position, header) = self.position(column);
            CsvError::cell(record.row, position, header, message)
        };
        if device.serial_number.is_none() && device.product_key.is_none() {
            return Err(at(
                Column::SerialNumber,
                "the row has neither a serial number nor a Windows product ID (Intune refuses such a device with \
                 error 803)"
                    .to_string(),
            ));
        }
        match &device.hardware_hash {
            Some(hash) => {
                if let Err(error) = hardware_hash::check(hash) {
                    return Err(at(Column::HardwareHash, error.to_string()));
                }
            }
            None if self.form == Form::Intune => {
                return Err(at(
                    Column::HardwareHash,
                    "the hardware hash is blank; Intune registers a device of this form only by its hash (error \
                     802)"
                        .to_string(),
                ));
            }
            None => {}
        }
        if let Some(user) = &device.assigned_user
            && let Err(reason) = upn::validate(user)
        {
            return Err(at(Column::AssignedUser, reason.to_string()));
        }
        Ok(device)
    }
}

#[cfg(test)]
mod tests;
