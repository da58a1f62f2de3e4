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
