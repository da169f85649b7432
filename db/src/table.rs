//! The `table!` macro: one declaration per table gives the row struct, the DDL, the column list,
//! the `INSERT` statement, the `SELECT` of every column, and reading a row by column name.
//!
//! Why a macro: the writer (the pipeline) and the readers (v1, v3, the tests) must agree on names,
//! types and column order, and the original API's JSON key order *is* the column order of its
//! tables. Declaring each column once, in order, and deriving every statement from that
//! declaration leaves nothing to keep in step by hand.

/// What the writer needs of any declared row.
pub trait Row {
    const TABLE: &'static str;
    const INSERT: &'static str;
    fn insert(&self, stmt: &mut rusqlite::Statement<'_>) -> rusqlite::Result<()>;
}

/// `", ?"` for each further column of an `INSERT`; a helper of [`table!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __placeholder {
    ($field:ident) => {
        ", ?"
    };
}

/// Declare a table:
///
/// ```ignore
/// table! {
///     /// What a row is.
///     pub struct YearRow in "data_by_year" {
///         year: i64 = "INTEGER PRIMARY KEY",
///         acousticness: Option<f64> = "REAL",
///     }
/// }
/// ```
///
/// Field names are the column names; the literal after `=` is the column's SQL type and
/// constraints. A trailing `constraints "..."` adds table constraints to the DDL.
#[macro_export]
macro_rules! table {
    (
        $(#[$meta:meta])*
        pub struct $row:ident in $table:literal {
            $(#[$fmeta1:meta])* $f1:ident : $t1:ty = $d1:literal
            $(, $(#[$fmeta:meta])* $f:ident : $t:ty = $d:literal)* $(,)?
        }
        $(constraints $extra:literal)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[allow(non_snake_case)]
        pub struct $row {
            $(#[$fmeta1])* pub $f1: $t1,
            $($(#[$fmeta])* pub $f: $t,)*
        }

        #[allow(dead_code)]
        impl $row {
            /// The table's name.
            pub const TABLE: &'static str = $table;
            /// Every column, in table order.
            pub const COLUMNS: &'static [&'static str] = &[stringify!($f1) $(, stringify!($f))*];
            /// `CREATE TABLE`.
            pub const DDL: &'static str = concat!(
                "CREATE TABLE ", $table, " (", stringify!($f1), " ", $d1,
                $(", ", stringify!($f), " ", $d,)*
                $(", ", $extra,)?
                ")"
            );
            /// `INSERT` of every column, in order, as positional parameters.
            pub const INSERT: &'static str = concat!(
                "INSERT INTO ", $table, " (", stringify!($f1), $(", ", stringify!($f),)*
                ") VALUES (?", $($crate::__placeholder!($f),)* ")"
            );
            /// `SELECT` of every column, by name and in order; append `WHERE ...` / `ORDER BY ...`.
            pub const SELECT: &'static str = concat!(
                "SELECT ", stringify!($f1), $(", ", stringify!($f),)* " FROM ", $table
            );

            /// Read a row selected with [`Self::SELECT`] (or any statement naming these columns),
            /// by column name, so the statement's column order does not matter.
            pub fn from_row(row: &::rusqlite::Row<'_>) -> ::rusqlite::Result<Self> {
                Ok($row {
                    $f1: row.get(stringify!($f1))?,
                    $($f: row.get(stringify!($f))?,)*
                })
            }
        }

        impl $crate::Row for $row {
            const TABLE: &'static str = $table;
            const INSERT: &'static str = $row::INSERT;
            fn insert(&self, stmt: &mut ::rusqlite::Statement<'_>) -> ::rusqlite::Result<()> {
                stmt.execute(::rusqlite::params![&self.$f1 $(, &self.$f)*])?;
                Ok(())
            }
        }
    };
}
