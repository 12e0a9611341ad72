-- One database per store on the shared PostgreSQL: Prefect's, MLflow's and the warehouse (POSTGRES_DB).
CREATE DATABASE prefect;
CREATE DATABASE mlflow;
