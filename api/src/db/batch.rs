//! Group commit for independent inserts (SCIM creates under load).
//!
//! Each job is a list of INSERTs that must land together or not at all.
//! Jobs that arrive while a batch is being written wait for the next one;
//! a batch is one transaction with a savepoint per job, so a job that fails
//! (a unique clash) is rolled back alone and the others commit. On SQLite a
//! job's statements go to the connection in one round trip. The commit — the
//! expensive part — is shared by the whole batch.

use std::sync::Arc;

use sea_orm::sea_query::InsertStatement;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use tokio::sync::{Mutex, mpsc, oneshot};

/// Most jobs written in one transaction.
pub const MAX_BATCH: usize = 64;

struct Job {
    stmts: Vec<InsertStatement>,
    reply: oneshot::Sender<Result<(), DbErr>>,
}

#[derive(Clone)]
pub struct Batcher {
    tx: mpsc::Sender<Job>,
}

impl Batcher {
    /// Starts the writer task on the current runtime.
    pub fn start(db: DatabaseConnection, gate: Arc<Mutex<()>>) -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(MAX_BATCH * 4);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                while jobs.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let results = write(&db, &gate, &jobs).await;
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(result);
                }
            }
        });
        Self { tx }
    }

    /// Writes the statements together with the current batch; `Err` means
    /// none of them were written.
    pub async fn insert(&self, stmts: Vec<InsertStatement>) -> Result<(), DbErr> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Job { stmts, reply }).await.map_err(|_| DbErr::Custom("write batcher stopped".to_owned()))?;
        answer.await.map_err(|_| DbErr::Custom("write batcher dropped a job".to_owned()))?
    }
}

async fn write(db: &DatabaseConnection, gate: &Arc<Mutex<()>>, jobs: &[Job]) -> Vec<Result<(), DbErr>> {
    // SQLite, the common case: the batch in a few scripts (7 jobs go as 4 + 2
    // + 1), so a few trips to the connection's worker thread write every job;
    // power-of-two sizes keep the prepared scripts sqlx caches few (one per
    // batch size held ~10 MiB). Should any statement fail (a unique clash),
    // nothing is kept and the batch is written again job by job below, where
    // a failing job is rolled back alone.
    if db.get_database_backend() == DbBackend::Sqlite
        && jobs.len() > 1
        && let Ok(txn) = super::begin_write(db, gate).await
    {
        let mut written = true;
        for chunk in chunks(jobs.len()) {
            let stmts: Vec<InsertStatement> = jobs[chunk].iter().flat_map(|j| j.stmts.iter().cloned()).collect();
            if txn.execute_raw(super::sqlite_script(&stmts, "", "")).await.is_err() {
                written = false;
                break;
            }
        }
        if written {
            return match txn.commit().await {
                Ok(()) => jobs.iter().map(|_| Ok(())).collect(),
                Err(e) => jobs.iter().map(|_| Err(DbErr::Custom(format!("batch commit failed: {e}")))).collect(),
            };
        }
        // Released before the retry takes the write lock again.
        let _ = txn.rollback().await;
    }
    let txn = match super::begin_write(db, gate).await {
        Ok(t) => t,
        Err(e) => return jobs.iter().map(|_| Err(DbErr::Custom(e.to_string()))).collect(),
    };
    let backend = txn.get_database_backend();
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let outcome = if backend == DbBackend::Sqlite {
            txn.execute_raw(super::sqlite_script(&job.stmts, "SAVEPOINT job;\n", "RELEASE job;")).await.map(|_| ())
        } else {
            async {
                txn.execute_unprepared("SAVEPOINT job").await?;
                for s in &job.stmts {
                    txn.execute(s).await?;
                }
                txn.execute_unprepared("RELEASE SAVEPOINT job").await?;
                Ok(())
            }
            .await
        };
        if outcome.is_err() && txn.execute_unprepared("ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job").await.is_err()
        {
            // The transaction is unusable: nothing of this batch is written.
            return jobs.iter().map(|_| Err(DbErr::Custom("batch transaction failed".to_owned()))).collect();
        }
        results.push(outcome);
    }
    match txn.commit().await {
        Ok(()) => results,
        Err(e) => jobs.iter().map(|_| Err(DbErr::Custom(format!("batch commit failed: {e}")))).collect(),
    }
}

/// `0..n` cut into runs whose lengths are powers of two, largest first.
fn chunks(n: usize) -> impl Iterator<Item = std::ops::Range<usize>> {
    let mut start = 0;
    (0..usize::BITS).rev().map(|bit| 1usize << bit).filter(move |size| n & size != 0).map(move |size| {
        start += size;
        start - size..start
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use sea_orm::sea_query::{Alias, Query};
    use sea_orm::{ConnectOptions, Database, Statement};

    use super::*;

    fn insert(id: &str) -> InsertStatement {
        Query::insert().into_table(Alias::new("t")).columns([Alias::new("id")]).values_panic([id.into()]).to_owned()
    }

    #[test]
    fn chunks_are_powers_of_two_covering_everything() {
        assert_eq!(chunks(7).collect::<Vec<_>>(), [0..4, 4..6, 6..7]);
        assert_eq!(chunks(64).next(), Some(0..64));
        assert_eq!(chunks(64).count(), 1);
        assert_eq!(chunks(10).collect::<Vec<_>>(), [0..8, 8..10]);
        assert_eq!(chunks(0).count(), 0);
    }

    async fn ids(db: &DatabaseConnection) -> Vec<String> {
        let rows =
            db.query_all_raw(Statement::from_string(DbBackend::Sqlite, "SELECT id FROM t ORDER BY id")).await.unwrap();
        rows.iter().map(|r| r.try_get::<String>("", "id").unwrap()).collect()
    }

    /// The whole batch goes as one script first; when one job clashes, the
    /// batch is written again job by job: the clashing job (all of its
    /// statements) is refused, the others are written.
    #[tokio::test]
    async fn a_clash_in_a_batch_fails_only_its_own_job() {
        let mut opts = ConnectOptions::new("sqlite::memory:");
        opts.max_connections(1).sqlx_logging(false);
        let db = Database::connect(opts).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (id TEXT PRIMARY KEY)").await.unwrap();
        let gate = Arc::new(Mutex::new(()));
        let job = |stmts: Vec<InsertStatement>| Job { stmts, reply: oneshot::channel().0 };

        let clean = [job(vec![insert("a")]), job(vec![insert("b"), insert("c")])];
        assert!(write(&db, &gate, &clean).await.iter().all(Result::is_ok));
        assert_eq!(ids(&db).await, ["a", "b", "c"]);

        let mixed = [job(vec![insert("d")]), job(vec![insert("e"), insert("a")]), job(vec![insert("f")])];
        let results = write(&db, &gate, &mixed).await;
        assert!(results[0].is_ok() && results[1].is_err() && results[2].is_ok(), "{results:?}");
        assert_eq!(ids(&db).await, ["a", "b", "c", "d", "f"], "job 2's first insert is rolled back with it");
    }
}
