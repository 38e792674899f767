from benchmarks.stt.run import main

main()
