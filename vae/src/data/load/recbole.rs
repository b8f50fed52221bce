//! RecBole atomic files (`.inter`): tab-separated, first line `name:type` per column, e.g.
//! `user_id:token␉item_id:token␉rating:float␉timestamp:float` (␉ = a tab).

use super::delimited::{Columns, Spec};

/// Columns `user_id`, `item_id`, `rating` and, if present, `timestamp`, found by name whatever their
/// type suffix.
pub(super) const INTER: Spec = Spec {
    sep: "\t",
    columns: Columns::Named {
        user: "user_id",
        item: "item_id",
        rating: Some("rating"),
        timestamp: Some("timestamp"),
        strip_types: true,
    },
};

#[cfg(test)]
mod tests {
    use crate::data::load::{load, Format, LoadOptions};

    #[test]
    fn inter_file_finds_typed_columns_in_any_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ml-100k.inter");
        std::fs::write(
            &p,
            "timestamp:float\titem_id:token\tuser_id:token\trating:float\n9\t242\t196\t3\n9\t302\t186\t4.5\n",
        )
        .unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(r.users.get(r.user[1]), "186");
        assert_eq!(r.items.get(r.item[1]), "302");
        assert_eq!(r.rating.unwrap(), vec![3.0, 4.5]);
        assert_eq!(r.timestamp, Some(vec![9.0, 9.0]));
    }

    #[test]
    fn ml1m_titles_with_commas_and_quotes_and_crlf_lines_are_ids_verbatim() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ml-1m.inter");
        std::fs::write(
            &p,
            "user_id:token\titem_id:token\trating:float\ttimestamp:float\r\n\
             1m_10\tAmerican President, The (1995)\t5\t978300760\r\n\
             1m_2\t\"Great Day in Harlem, A\" (1994)\t3\t978302109\r\n",
        )
        .unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(r.users.get(r.user[0]), "1m_10");
        assert_eq!(r.items.get(r.item[0]), "American President, The (1995)");
        assert_eq!(r.items.get(r.item[1]), "\"Great Day in Harlem, A\" (1994)");
        assert_eq!(r.timestamp, Some(vec![978300760.0, 978302109.0]));
    }

    #[test]
    fn inter_file_without_timestamp_column_has_no_timestamps() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.inter");
        std::fs::write(&p, "user_id:token\titem_id:token\trating:float\n1\t2\t3\n").unwrap();
        let r = load(&p, &Format::Auto, &LoadOptions::default()).unwrap();
        assert_eq!(r.timestamp, None);
        assert_eq!(r.len(), 1);
    }

    #[test]
    fn inter_file_with_wrong_field_count_names_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.inter");
        std::fs::write(
            &p,
            "user_id:token\titem_id:token\trating:float\n1\t2\t3\n1\t2\n",
        )
        .unwrap();
        let err = load(&p, &Format::Auto, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("a.inter:3: expected 3 fields"), "{err}");
    }
}
